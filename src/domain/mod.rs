//! Shared domain models that several check kinds parse: `.env` files,
//! Dockerfiles; alembic revisions, `redis.conf` and policy HCL as they come.
//! They only read and describe; they never decide pass or fail.

pub mod alembic;
pub mod dockerfile;
pub mod dockerignore;
pub mod entrypoint;
pub mod envfile;
pub mod initsql;
pub mod interp;
pub mod nginx;
pub mod policy;
pub mod pyproject;
pub mod pysettings;
pub mod redisconf;
pub mod selector;
pub mod textfile;
pub mod units;
pub mod version_req;
