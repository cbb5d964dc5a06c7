//! Networks of the lab's own: anonymous network namespaces ([`netns`]) and
//! the two-namespace veth link with MTU, loss and rate ([`link`]). Nothing
//! here captures or judges.

pub mod link;
pub mod netns;
