//! Permissions by SelfSubjectAccessReview, cached briefly per (context,
//! verb, group, resource, namespace, name); readonly mode denies every
//! write without asking.
