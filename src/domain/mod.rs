//! Shared domain models that several check kinds parse: `.env` files,
//! Dockerfiles; alembic revisions, `redis.conf` and policy HCL as they come.
//! They only read and describe; they never decide pass or fail.

pub mod alembic;
pub mod dockerfile;
pub(crate) mod dockerignore;
pub(crate) mod entrypoint;
pub mod envfile;
pub mod initsql;
pub mod interp;
pub(crate) mod nginx;
pub mod policy;
pub(crate) mod pyproject;
pub mod pysettings;
pub mod redisconf;
pub(crate) mod selector;
pub(crate) mod textfile;
pub mod units;
pub(crate) mod version_req;
