//! Networks of the lab's own: anonymous network namespaces ([`netns`]) and
//! the two-namespace veth link with MTU, loss and rate ([`link`], its rate
//! checked by [`rate`]). Nothing here captures or judges.

pub mod link;
pub mod netns;
pub mod rate;
