//! Shared domain models that several check kinds parse: `.env` files,
//! Dockerfiles; alembic revisions, `redis.conf` and policy HCL as they come.
//! They only read and describe; they never decide pass or fail.

pub(crate) mod alembic;
pub(crate) mod dockerfile;
pub(crate) mod dockerignore;
pub(crate) mod entrypoint;
pub(crate) mod envfile;
pub(crate) mod initsql;
pub(crate) mod interp;
pub(crate) mod nginx;
pub(crate) mod policy;
pub(crate) mod pyproject;
pub(crate) mod pysettings;
pub(crate) mod redisconf;
pub(crate) mod selector;
pub(crate) mod textfile;
pub(crate) mod units;
pub(crate) mod version_req;
