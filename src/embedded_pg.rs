//! A private PostgreSQL cluster run from the locally installed server binaries.
//!
//! Used by `serve` and by the test harness when `DATABASE_URL` is unset. Layout under
//! `data_dir`: `data/` (PGDATA), `run/` (Unix socket directory, no TCP listener),
//! `postgres.log`, `.lock` (serialises concurrent starters) and `app.lock` (held by the one app
//! server that owns the cluster for its whole life, see [`AppLock`]).

use std::ffi::OsString;
use std::fs::{File, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{Connection, PgConnection};
use tokio::process::Command;
use tracing::{debug, info, warn};

const PORT: u16 = 5432;
/// `sun_path` holds 108 bytes including the trailing NUL.
const MAX_SOCKET_PATH: usize = 107;
/// Database superuser, and OS user the server runs as when we are root.
const PG_USER: &str = "postgres";
const LOG_TAIL_LINES: usize = 20;
/// How long to wait for the backends of a dead postmaster to exit before starting a new one.
const ORPHAN_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// Start attempts while a dead cluster's shared memory is still attached (bounded retry).
const START_ATTEMPTS: u32 = 5;

/// Where and how to run the embedded cluster.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Root directory of the cluster, e.g. `./var/postgres`; created if missing.
    pub data_dir: PathBuf,
    /// `false` disables fsync & co: only for throwaway test clusters.
    pub fsync: bool,
}

/// Handle to a running embedded cluster (started by us or reused).
#[derive(Debug)]
pub struct EmbeddedPg {
    root: PathBuf,
    data: PathBuf,
    run: PathBuf,
    bin: PathBuf,
    started_here: bool,
    run_as: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedPgError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: install PostgreSQL (e.g. `apt-get install postgresql`) or set DATABASE_URL to an existing server"
    )]
    NoBinaries,
    #[error(
        "Unix socket path {} is {len} bytes, over the {MAX_SOCKET_PATH}-byte limit: use a shorter data directory or set DATABASE_URL", .path.display()
    )]
    SocketPathTooLong { path: PathBuf, len: usize },
    #[error(
        "data directory {} is not valid UTF-8 or contains characters pg_ctl cannot quote (\" $ ` \\): use a different data directory", .0.display()
    )]
    UnsupportedPath(PathBuf),
    #[error(
        "running as root, but there is no `postgres` OS user to run PostgreSQL as: create it (e.g. `apt-get install postgresql` or `useradd --system postgres`) or run as a non-root user"
    )]
    NoPostgresUser,
    #[error(
        "directory {} is not traversable by other users, so the `postgres` OS user cannot reach the data directory: use a data directory elsewhere (e.g. under /var/lib or /tmp) or run as a non-root user", .0.display()
    )]
    ParentNotTraversable(PathBuf),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "`{command}` failed ({status})\nstderr:\n{stderr}\nlast {LOG_TAIL_LINES} lines of {}:\n{log_tail}", .log.display()
    )]
    Command {
        command: String,
        status: String,
        stderr: String,
        log: PathBuf,
        log_tail: String,
    },
    #[error("embedded PostgreSQL query failed: {0}")]
    Sql(#[from] sqlx::Error),
}

use EmbeddedPgError as E;

fn io_err(context: &str) -> impl FnOnce(io::Error) -> E {
    let context = context.to_owned();
    move |source| E::Io { context, source }
}

impl EmbeddedPg {
    /// Directory holding `initdb`, `pg_ctl` and `postgres`: first `PATH` (symlinks resolved to the
    /// real installation when it is complete), then the highest `/usr/lib/postgresql/<ver>/bin`.
    pub fn find_bin_dir() -> Result<PathBuf, EmbeddedPgError> {
        let versions = Path::new("/usr/lib/postgresql");
        find_bin_dir_in(std::env::var_os("PATH"), versions).ok_or(E::NoBinaries)
    }

    /// Initialises (if needed) and starts the cluster, or reuses it if it is already running.
    pub async fn start(opts: EmbeddedOptions) -> Result<EmbeddedPg, EmbeddedPgError> {
        let bin = Self::find_bin_dir()?;
        let ctx = format!("cannot create data directory {}", opts.data_dir.display());
        tokio::fs::create_dir_all(&opts.data_dir)
            .await
            .map_err(io_err(&ctx))?;
        let root = tokio::fs::canonicalize(&opts.data_dir)
            .await
            .map_err(io_err(&ctx))?;
        if root
            .to_str()
            .is_none_or(|s| s.contains(['"', '$', '`', '\\']))
        {
            return Err(E::UnsupportedPath(root));
        }
        let run = root.join("run");
        let socket = run.join(format!(".s.PGSQL.{PORT}"));
        let len = socket.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            return Err(E::SocketPathTooLong { path: socket, len });
        }
        // Serialise init/start across processes sharing this data dir; released on drop.
        let lock_path = root.join(".lock");
        let ctx = format!("cannot lock {}", lock_path.display());
        let lock = tokio::task::spawn_blocking(move || lock_file(&lock_path)).await;
        let lock = lock
            .map_err(io::Error::other)
            .and_then(|r| r)
            .map_err(io_err(&ctx))?;
        let mut pg = EmbeddedPg {
            data: root.join("data"),
            root,
            run,
            bin,
            started_here: false,
            run_as: None,
        };
        pg.init_and_start(opts.fsync).await?;
        drop(lock);
        Ok(pg)
    }

    async fn init_and_start(&mut self, fsync: bool) -> Result<(), E> {
        let ctx = format!("cannot create {}", self.run.display());
        tokio::fs::create_dir_all(&self.run)
            .await
            .map_err(io_err(&ctx))?;
        if is_root().await {
            self.prepare_for_postgres_user().await?;
        }
        let data = utf8(&self.data);
        if !self.data.join("PG_VERSION").exists() {
            info!("initialising embedded PostgreSQL cluster in {data}");
            let mut args = vec!["-D", data, "-U", PG_USER, "--auth-local=trust"];
            args.extend(["--auth-host=reject", "--encoding=UTF8", "--locale=C.UTF-8"]);
            if let Err(e) = self.pg("initdb", &args, true).await {
                warn!("initdb with --locale=C.UTF-8 failed, retrying with --no-locale: {e}");
                *args.last_mut().expect("non-empty") = "--no-locale";
                self.pg("initdb", &args, true).await?;
            }
        }
        if self.is_running().await? {
            info!(
                "reusing running embedded PostgreSQL at {}",
                self.run.display()
            );
            return Ok(());
        }
        // Double quotes delimit the path in the GUC list; single quotes survive pg_ctl's `sh -c`.
        let dirs = sh_quote(&format!("\"{}\"", utf8(&self.run)));
        let mut o =
            format!("-c port={PORT} -c listen_addresses='' -c unix_socket_directories={dirs}");
        o.push_str(" -c unix_socket_permissions=0700");
        if !fsync {
            o.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let log = self.log_path();
        let mut attempt = 1;
        loop {
            match self
                .pg_ctl("start", &["-l", utf8(&log), "-o", &o], true)
                .await
            {
                Ok(_) => break,
                // A backend of a killed postmaster may still hold its shared memory for a moment.
                Err(E::Command { ref log_tail, .. })
                    if attempt < START_ATTEMPTS
                        && log_tail.contains("pre-existing shared memory block") =>
                {
                    warn!("shared memory of the previous server still in use; retrying the start");
                    self.wait_for_orphaned_backends().await;
                    tokio::time::sleep(std::time::Duration::from_millis(500 * u64::from(attempt)))
                        .await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
        self.started_here = true;
        info!(
            "started embedded PostgreSQL at {} (data {data})",
            self.run.display()
        );
        Ok(())
    }

    /// As root: check the `postgres` user and path access, then hand it the data dir.
    async fn prepare_for_postgres_user(&mut self) -> Result<(), E> {
        let id = Command::new("id").args(["-u", PG_USER]).output().await;
        if !id.is_ok_and(|o| o.status.success()) {
            return Err(E::NoPostgresUser);
        }
        for dir in self.root.ancestors().skip(1) {
            let meta = std::fs::metadata(dir)
                .map_err(io_err(&format!("cannot stat {}", dir.display())))?;
            if meta.permissions().mode() & 0o001 == 0 {
                return Err(E::ParentNotTraversable(dir.to_path_buf()));
            }
        }
        // `postgres:` = the user's login group
        self.exec(&["chown", "-R", "postgres:", utf8(&self.root)], true)
            .await?;
        self.run_as = Some(PG_USER.to_owned());
        Ok(())
    }

    /// Whether a postmaster serves this data dir. `pg_ctl status` only checks that the PID in
    /// `postmaster.pid` exists, and PostgreSQL itself refuses to start while it does; but after a
    /// `kill -9` that PID may be a zombie nobody reaps, or (after a reboot) an unrelated process.
    /// Then the lock files are stale: they are removed, and the dead postmaster's backends are
    /// given a bounded time to exit (they keep its shared memory attached).
    async fn is_running(&self) -> Result<bool, E> {
        let pid_file = self.data.join("postmaster.pid");
        if let Some(pid) = read_pid(&pid_file)
            && let Some(why) = not_a_live_postmaster(pid, &self.data)
        {
            warn!(
                "removing stale {} (PID {pid} {why}): the cluster was not shut down cleanly",
                pid_file.display()
            );
            remove_if_exists(&pid_file)?;
            let socket_lock = self.run.join(format!(".s.PGSQL.{PORT}.lock"));
            if read_pid(&socket_lock).is_none_or(|p| not_a_live_postmaster(p, &self.data).is_some())
            {
                remove_if_exists(&socket_lock)?;
            }
            self.wait_for_orphaned_backends().await;
            return Ok(false);
        }
        Ok(self.pg_ctl("status", &[], false).await?.status.success())
    }

    /// Waits (bounded by [`ORPHAN_WAIT`]) until no live process works in this data directory.
    async fn wait_for_orphaned_backends(&self) {
        let deadline = std::time::Instant::now() + ORPHAN_WAIT;
        loop {
            let left = live_processes_in(&self.data);
            if left.is_empty() {
                return;
            }
            if std::time::Instant::now() >= deadline {
                warn!(
                    "backends of the dead postmaster still running after {ORPHAN_WAIT:?} (PIDs {left:?}); starting anyway"
                );
                return;
            }
            debug!("waiting for orphaned backends {left:?} to exit");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Options for connecting over the Unix socket as superuser `postgres` (trust auth).
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        // sqlx treats a host starting with '/' as a socket directory (`<host>/.s.PGSQL.<port>`).
        PgConnectOptions::new_without_pgpass()
            .host(utf8(&self.run))
            .port(PORT)
            .username(PG_USER)
            .database(database)
            .ssl_mode(PgSslMode::Disable)
    }

    /// Creates database `name` unless it already exists (also tolerates a concurrent creator).
    pub async fn ensure_database(&self, name: &str) -> Result<(), EmbeddedPgError> {
        let mut conn = PgConnection::connect_with(&self.connect_options("postgres")).await?;
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_optional(&mut conn)
                .await?;
        if exists.is_none() {
            let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
            match sqlx::raw_sql(&sql).execute(&mut conn).await {
                // duplicate_database, or unique_violation when racing another creator
                Err(sqlx::Error::Database(e))
                    if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {}
                other => {
                    other?;
                    info!("created database {name:?} in embedded PostgreSQL");
                }
            }
        }
        conn.close().await?;
        Ok(())
    }

    /// Whether this handle's `start` launched the server (false when a running one was reused).
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// Makes this handle responsible for stopping the server, even one it reused: for the holder
    /// of the [`AppLock`], which is the only app using the cluster (a running server it did not
    /// start was left behind by a crashed predecessor).
    pub fn take_ownership(&mut self) {
        self.started_here = true;
    }

    /// Stops the server (`pg_ctl stop -m fast`) if this handle started it and it still runs.
    pub async fn stop(&self) -> Result<(), EmbeddedPgError> {
        if !self.started_here || !self.is_running().await? {
            return Ok(());
        }
        self.pg_ctl("stop", &["-m", "fast"], true).await?;
        info!("stopped embedded PostgreSQL at {}", self.run.display());
        Ok(())
    }

    fn log_path(&self) -> PathBuf {
        self.root.join("postgres.log")
    }

    /// Runs `pg_ctl <action> -D <data> -w -t 60 <args>` (waiting only matters for start/stop).
    async fn pg_ctl(&self, action: &str, args: &[&str], check: bool) -> Result<Output, E> {
        let base = [action, "-D", utf8(&self.data), "-w", "-t", "60"];
        self.pg("pg_ctl", &[&base[..], args].concat(), check).await
    }

    /// Runs server binary `program` (as `run_as` when set, via runuser or su).
    async fn pg(&self, program: &str, args: &[&str], check: bool) -> Result<Output, E> {
        let exe = self.bin.join(program);
        let argv = [&[utf8(&exe)], args].concat();
        let line = argv
            .iter()
            .map(|a| sh_quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        let argv = match self.run_as.as_deref() {
            None => argv,
            Some(user) if find_in_path("runuser").is_some() => {
                [&["runuser", "-u", user, "--"], &argv[..]].concat()
            }
            Some(user) => vec!["su", user, "-s", "/bin/sh", "-c", &line],
        };
        self.exec(&argv, check).await
    }

    /// Runs `argv` with captured output; when `check`, a non-zero exit is an error that includes
    /// stderr and the tail of the server log.
    async fn exec(&self, argv: &[&str], check: bool) -> Result<Output, E> {
        let command = argv.join(" ");
        debug!("running {command}");
        let mut cmd = Command::new(argv[0]);
        cmd.args(&argv[1..])
            .current_dir(&self.root)
            .stdin(Stdio::null());
        let out = cmd
            .output()
            .await
            .map_err(io_err(&format!("cannot run `{command}`")))?;
        if out.status.success() || !check {
            return Ok(out);
        }
        let log = self.log_path();
        let log_tail = match tokio::fs::read_to_string(&log).await {
            Ok(text) => {
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
            }
            Err(e) => format!("(unavailable: {e})"),
        };
        let stderr = String::from_utf8_lossy(&out.stderr).trim_end().to_owned();
        let status = out.status.to_string();
        Err(E::Command {
            command,
            status,
            stderr,
            log,
            log_tail,
        })
    }
}

/// The one app server that owns an embedded cluster: an exclusive `flock` on `<data_dir>/app.lock`,
/// held for the life of the process and released by the kernel when it ends (even by `kill -9`).
/// Taken by `serve` before it touches the cluster; `EmbeddedPg::start` does not take it (the test
/// harness shares one cluster between processes on purpose). The file holds the owner's PID.
#[derive(Debug)]
pub struct AppLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum AppLockError {
    #[error(
        "数据目录 {dir} 正由另一个 kechuang 进程（{pid_zh}）使用，同一数据目录只能运行一个应用；请先停止它，或用 --data-dir 指定其他目录。\n\
         the data directory {dir} is in use by another kechuang process ({pid_en}): stop it first, or choose another --data-dir.",
        dir = .dir.display(),
        pid_zh = .pid.map_or("PID 未知".to_owned(), |p| format!("PID {p}")),
        pid_en = .pid.map_or("PID unknown".to_owned(), |p| format!("PID {p}")),
    )]
    Busy { dir: PathBuf, pid: Option<u32> },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl AppLock {
    /// Takes the lock on `data_dir` (created if missing) without waiting: [`AppLockError::Busy`]
    /// when another process holds it.
    pub fn try_acquire(data_dir: &Path) -> Result<AppLock, AppLockError> {
        let io = |context: String| move |source| AppLockError::Io { context, source };
        std::fs::create_dir_all(data_dir).map_err(io(format!(
            "cannot create data directory {}",
            data_dir.display()
        )))?;
        let dir = std::fs::canonicalize(data_dir)
            .map_err(io(format!("cannot resolve {}", data_dir.display())))?;
        let path = dir.join("app.lock");
        let ctx = format!("cannot lock {}", path.display());
        let mut file = File::options()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io(ctx.clone()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let pid = text.lines().next().and_then(|l| l.trim().parse().ok());
                return Err(AppLockError::Busy { dir, pid });
            }
            Err(TryLockError::Error(e)) => return Err(io(ctx)(e)),
        }
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .and_then(|()| file.flush())
            .map_err(io(format!("cannot write {}", path.display())))?;
        Ok(AppLock { _file: file })
    }
}

fn find_bin_dir_in(path: Option<OsString>, versions_root: &Path) -> Option<PathBuf> {
    let has_all = |dir: &Path| {
        dir.is_absolute()
            && dir.to_str().is_some()
            && ["initdb", "pg_ctl", "postgres"]
                .iter()
                .all(|b| is_executable(&dir.join(b)))
    };
    if let Some(dir) = path
        .iter()
        .flat_map(std::env::split_paths)
        .find(|d| has_all(d))
    {
        // e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb
        let real = std::fs::canonicalize(dir.join("initdb")).ok();
        let real = real.and_then(|p| Some(p.parent()?.to_path_buf()));
        return Some(real.filter(|r| has_all(r)).unwrap_or(dir));
    }
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(versions_root)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let key = name
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            Some((key, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_all(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

/// Opens `path` and takes an exclusive lock on it, blocking until it is free.
fn lock_file(path: &Path) -> io::Result<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    file.lock()?;
    Ok(file)
}

/// The PID on the first line of a PostgreSQL lock file (`postmaster.pid`, `.s.PGSQL.<port>.lock`).
fn read_pid(path: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// Why `pid` is certainly not a running postmaster of `data` (`None`: it is, or we cannot tell).
fn not_a_live_postmaster(pid: u32, data: &Path) -> Option<&'static str> {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Some("no longer exists");
    };
    // `pid (comm) S ...`: the state follows the last `)` (comm may contain anything).
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    if matches!(state, Some('Z' | 'X' | 'x')) {
        return Some("is a zombie");
    }
    // A real postmaster's working directory is PGDATA (unreadable for other users' processes).
    match std::fs::read_link(format!("/proc/{pid}/cwd")) {
        Ok(cwd) if cwd != data => Some("belongs to another program"),
        _ => None,
    }
}

/// Live (not zombie) processes whose working directory is `data`: a postmaster and its backends.
fn live_processes_in(data: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == data)
                && not_a_live_postmaster(*pid, data).is_none()
        })
        .collect()
}

fn remove_if_exists(path: &Path) -> Result<(), E> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(io_err(&format!("cannot remove {}", path.display()))(e))
        }
        _ => Ok(()),
    }
}

/// Effective UID 0, from `/proc/self/status` (fallback: `id -u`).
async fn is_root() -> bool {
    let status = tokio::fs::read_to_string("/proc/self/status").await;
    let status = status.unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("Uid:")) {
        return line.split_whitespace().nth(2) == Some("0"); // real, effective, saved, fs
    }
    let out = Command::new("id").arg("-u").output().await;
    out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Paths handled here are UTF-8: `start` and `find_bin_dir_in` reject anything else.
fn utf8(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

/// Quotes `s` as one POSIX shell word.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_lock_is_exclusive_and_names_its_owner() {
        let dir = std::env::temp_dir().join(format!("kc-applock-{}", std::process::id()));
        let first = AppLock::try_acquire(&dir).expect("free");
        // flock is per open file: a second open, even in this process, is refused.
        match AppLock::try_acquire(&dir) {
            Err(AppLockError::Busy { dir: busy, pid }) => {
                assert_eq!(busy, std::fs::canonicalize(&dir).unwrap());
                assert_eq!(pid, Some(std::process::id()));
                let msg = AppLockError::Busy { dir: busy, pid }.to_string();
                assert!(msg.contains("另一个 kechuang 进程"), "{msg}");
                assert!(
                    msg.contains(&format!("PID {}", std::process::id())),
                    "{msg}"
                );
            }
            other => panic!("second lock: {other:?}"),
        }
        drop(first);
        // Released with its holder; a child forked meanwhile by another test shares the open file
        // until its `exec` closes it (close-on-exec), so allow a moment.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let again = loop {
            match AppLock::try_acquire(&dir) {
                Ok(lock) => break lock,
                Err(e) if std::time::Instant::now() > deadline => panic!("not released: {e:?}"),
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        };
        drop(again);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dead_zombie_and_foreign_pids_are_not_postmasters() {
        let data = Path::new("/nonexistent/pgdata");
        // This process is alive but works elsewhere.
        assert_eq!(
            not_a_live_postmaster(std::process::id(), data),
            Some("belongs to another program")
        );
        // Beyond the kernel's pid_max (at most 2^22).
        assert_eq!(
            not_a_live_postmaster(u32::MAX - 1, data),
            Some("no longer exists")
        );
        // A child that exited and was not waited for is a zombie.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while not_a_live_postmaster(pid, data) != Some("is a zombie") {
            assert!(std::time::Instant::now() < deadline, "never a zombie");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.wait().unwrap();
        // Our own working directory: a live process there counts (as a postmaster's backends do).
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(not_a_live_postmaster(std::process::id(), &cwd), None);
        assert!(live_processes_in(&cwd).contains(&std::process::id()));
    }

    #[test]
    fn falls_back_to_highest_versioned_dir() {
        let dir = std::env::temp_dir().join(format!("kc-bins-{}", std::process::id()));
        for (ver, b) in ["9.6", "15", "13", "junk"]
            .iter()
            .flat_map(|v| ["initdb", "pg_ctl", "postgres"].map(|b| (v, b)))
        {
            let bin = dir.join(ver).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join(b), "").unwrap();
            let exe = std::fs::Permissions::from_mode(0o755);
            std::fs::set_permissions(bin.join(b), exe).unwrap();
        }
        assert_eq!(
            find_bin_dir_in(Some("/nonexistent".into()), &dir),
            Some(dir.join("15/bin"))
        );
        assert_eq!(find_bin_dir_in(None, Path::new("/nonexistent")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
