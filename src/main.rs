//! The `kechuang` command: parse the command line, then serve, migrate or manage users.

use std::io::BufRead;
use std::net::SocketAddr;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use kechuang::config::{DbConfig, ServeConfig, WebConfig};
use kechuang::database::{self, Database};
use kechuang::db::audit::{self, Actor};
use kechuang::db::users::{self, NewUser};
use kechuang::domain::password::PasswordRules;
use kechuang::domain::role::Role;
use kechuang::embedded_pg::{AppLock, AppLockError};
use kechuang::{AppState, demo, password_hash, router, telemetry};

/// mimalloc gives freed memory back to the system: after `scripts/bench.sh` the server held 32 MB
/// with it and 179 MB with glibc's malloc (README "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "kechuang", version, about = "科创平台全周期管理平台")]
struct Cli {
    #[command(flatten)]
    db: DbConfig,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web application (migrates first).
    Serve(ServeConfig),
    /// Apply database migrations and exit.
    Migrate,
    /// Evaluate a platform snapshot against every policy rule (POLICY-RULES.md). Exit 0 with the
    /// findings; exit 2 when the input is invalid (the message names the field).
    Check {
        /// The snapshot (JSON, at most 10 MB); `-` reads standard input.
        #[arg(long)]
        input: std::path::PathBuf,
        #[arg(long, value_enum, default_value = "json")]
        format: kechuang::check_cli::Format,
    },
    /// Compute which support programmes of the enabled packs a platform snapshot may claim, and up to
    /// how much (SUPPORT-RULES.md). Exit 0 with the result; exit 2 when the input is invalid (the
    /// message names the field).
    Support {
        /// The snapshot (JSON, at most 10 MB); `-` reads standard input.
        #[arg(long)]
        input: std::path::PathBuf,
        #[arg(long, value_enum, default_value = "json")]
        format: kechuang::check_cli::Format,
    },
    /// Print a platform's compliance snapshot (the input of `check`) as the app builds it from the
    /// database, so that any finding can be reproduced outside the app.
    Snapshot {
        /// The platform's code, e.g. NT-2021-007.
        #[arg(long)]
        platform: String,
        /// The date to check as of (default: today in Beijing).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Manage accounts from the command line (bootstrap the first administrators).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account with a role. The password is read from standard input (one line),
    /// or generated and printed once; it must be changed at first login.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// operator, staff, advisor, expert, leader, sysadmin, secadmin or auditor.
        #[arg(long)]
        role: String,
        /// For operators: the code of their platform.
        #[arg(long)]
        platform: Option<String>,
        /// For staff: the code of their jurisdiction (320600 = 南通市, all platforms).
        #[arg(long)]
        jurisdiction: Option<String>,
        /// Read the initial password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    if let Command::Check { input, format } = &cli.command {
        // Pure and offline: no database, no runtime, nothing on stdout but the findings.
        return Ok(kechuang::check_cli::run(input, *format));
    }
    if let Command::Support { input, format } = &cli.command {
        // Pure and offline, like `check`.
        return Ok(kechuang::support_cli::run(input, *format));
    }
    kechuang::password_hash::return_large_blocks_to_the_system();
    telemetry::init();
    let runtime = tokio::runtime::Runtime::new()?;
    match runtime.block_on(run_command(cli)) {
        Ok(()) => Ok(std::process::ExitCode::SUCCESS),
        // Another app owns the data directory: say so plainly (no backtrace), exit 1.
        Err(e) if e.downcast_ref::<AppLockError>().is_some() => {
            eprintln!("{e}");
            Ok(std::process::ExitCode::FAILURE)
        }
        Err(e) => Err(e),
    }
}

async fn run_command(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Check { .. } | Command::Support { .. } => {
            unreachable!("handled before the runtime starts")
        }
        Command::Serve(serve_config) => serve(&cli.db, serve_config).await,
        Command::Migrate => {
            let (db, lock) = open_for_command(&cli.db).await?;
            let result = database::migrate(&db.pool).await;
            close_for_command(db, lock).await;
            result
        }
        Command::Snapshot { platform, as_of } => {
            let (db, lock) = open_for_command(&cli.db).await?;
            let result = print_snapshot(&db, &platform, as_of).await;
            close_for_command(db, lock).await;
            result
        }
        Command::User { command } => {
            let (db, lock) = open_for_command(&cli.db).await?;
            let result = match database::migrate(&db.pool).await {
                Ok(()) => user_command(&db, command).await,
                Err(e) => Err(e),
            };
            close_for_command(db, lock).await;
            result
        }
    }
}

/// The embedded cluster's directory (as `Database::open` uses it).
fn embedded_dir(db_config: &DbConfig) -> std::path::PathBuf {
    db_config.data_dir.join("postgres")
}

/// `serve` owns the embedded cluster for its whole life: it takes the data directory's app lock
/// before touching the cluster (a second `serve` is refused), stops the cluster on exit, and
/// releases the lock only when the process ends.
async fn serve(db_config: &DbConfig, config: ServeConfig) -> anyhow::Result<()> {
    // A wrong mail configuration stops the server before anything starts.
    let mail = config.mail.settings()?;
    let _owner = match db_config.database_url {
        None => Some(AppLock::try_acquire(&embedded_dir(db_config))?),
        Some(_) => None,
    };
    let mut db = Database::open(db_config).await?;
    if let Some(pg) = db.embedded.as_mut() {
        pg.take_ownership();
    }
    let result = run(&db, config, mail).await;
    db.close().await;
    result
}

/// A short command (migrate, snapshot, user) on the embedded cluster: while no server owns the
/// data directory it holds the app lock and stops the cluster it started; while `serve` runs it
/// uses that server's cluster and leaves it running.
async fn open_for_command(db_config: &DbConfig) -> anyhow::Result<(Database, Option<AppLock>)> {
    let lock = match db_config.database_url {
        None => match AppLock::try_acquire(&embedded_dir(db_config)) {
            Ok(lock) => Some(lock),
            Err(AppLockError::Busy { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        Some(_) => None,
    };
    Ok((Database::open(db_config).await?, lock))
}

async fn close_for_command(mut db: Database, lock: Option<AppLock>) {
    if lock.is_none() {
        // The cluster belongs to the running server.
        db.embedded = None;
    }
    db.close().await;
    drop(lock);
}

async fn run(
    db: &Database,
    config: ServeConfig,
    mail: Option<kechuang::config::MailSettings>,
) -> anyhow::Result<()> {
    database::migrate(&db.pool).await?;
    kechuang::db::policies::sync(&db.pool).await?;
    database::check_durability(&db.pool).await?;
    if let Some(dataset) = config.demo {
        match dataset {
            kechuang::config::DemoDataset::City => demo::load(&db.pool).await,
            kechuang::config::DemoDataset::Scale => demo::scale::load(&db.pool).await.map(|_| ()),
        }
        .context("loading the demo dataset")?;
        println!("演示数据已就绪。演示账户（密码均为 {}）：", demo::PASSWORD);
        for (username, label) in demo::accounts() {
            println!("  {username:<20} {label}");
        }
    }
    kechuang::jobs::spawn_daily(db.pool.clone());
    match &mail {
        Some(settings) => {
            let mailer = kechuang::mail::Mailer::new(settings)?;
            kechuang::mail::spawn_sender(db.pool.clone(), mailer);
            tracing::info!(host = %settings.host, port = settings.port, "e-mail notices on");
        }
        None => tracing::warn!(
            "no SMTP server configured (--smtp-host): e-mail notices stay in the outbox"
        ),
    }
    let state = AppState::new(
        db.pool.clone(),
        WebConfig {
            secure_cookies: config.secure_cookies,
            trust_proxy: config.trust_proxy,
            mail,
        },
    );
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    tracing::info!("kechuang listening on http://{}", listener.local_addr()?);
    println!(
        "科创平台全周期管理平台已启动：http://{}/",
        listener.local_addr()?
    );
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("shut down");
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

async fn print_snapshot(
    db: &Database,
    code: &str,
    as_of: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    database::migrate(&db.pool).await?;
    let id = kechuang::db::platforms::id_by_code(&db.pool, code)
        .await?
        .with_context(|| format!("no platform with code {code}"))?;
    let as_of = as_of.unwrap_or_else(kechuang::clock::today);
    let params = kechuang::db::rule_params::in_force(&mut *db.pool.acquire().await?, as_of).await?;
    let snapshots = kechuang::db::snapshot::build(&db.pool, Some(&[id]), as_of, &params).await?;
    let (_, snapshot) = snapshots.into_iter().next().context("platform vanished")?;
    println!("{}", serde_json::to_string_pretty(&snapshot)?);
    Ok(())
}

async fn user_command(db: &Database, command: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Create {
        username,
        name,
        role,
        platform,
        jurisdiction,
        password_stdin,
    } = command;
    let role = Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?;
    let platform_id: Option<i64> = match (role, platform) {
        (Role::Operator, Some(code)) => Some(
            kechuang::db::platforms::id_by_code(&db.pool, &code)
                .await?
                .with_context(|| format!("no platform with code {code}"))?,
        ),
        (Role::Operator, None) => bail!("an operator needs --platform CODE"),
        (_, Some(_)) => bail!("--platform is only for operators"),
        _ => None,
    };
    let jurisdiction_id: Option<i32> = match (role, jurisdiction) {
        (Role::Staff, Some(code)) => Some(
            kechuang::db::jurisdictions::id_by_code(&db.pool, &code)
                .await?
                .with_context(|| format!("no jurisdiction with code {code}"))?,
        ),
        (Role::Staff, None) => bail!("staff need --jurisdiction CODE (320600 = 南通市)"),
        (_, Some(_)) => bail!("--jurisdiction is only for staff"),
        _ => None,
    };
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        if let Err(msg) = PasswordRules::default().check(&password, &username) {
            bail!("password rejected: {msg}");
        }
        (password, false)
    } else {
        (password_hash::temporary_password(), true)
    };
    let hash = password_hash::hash(&password)?;
    let actor = Actor::system("cli");
    let mut tx = audit::begin(&db.pool, &actor).await?;
    let user = users::insert(
        &mut tx,
        &NewUser {
            username: &username.trim().to_lowercase(),
            display_name: name.trim(),
            password_hash: &hash,
            role: Some(role),
            platform_id,
            jurisdiction_id,
            must_change_password: true,
            is_demo: false,
        },
    )
    .await
    .context("creating the account (is the user name taken or malformed?)")?;
    audit::record(
        &mut tx,
        &actor,
        "user.create",
        "user",
        Some(user.id.to_string()),
        None,
        Some(user.audit_json()),
    )
    .await?;
    kechuang::db::data_changed(&mut tx).await?;
    tx.commit().await?;
    println!(
        "created {} ({}) as {}",
        user.username,
        user.display_name,
        role.label_zh()
    );
    if generated {
        println!("initial password (shown once, must be changed at first login): {password}");
    }
    Ok(())
}
