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
use kechuang::{AppState, demo, password_hash, router, telemetry};

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
        #[arg(long)]
        input: std::path::PathBuf,
        #[arg(long, value_enum, default_value = "json")]
        format: kechuang::check_cli::Format,
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
    telemetry::init();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime
        .block_on(run_command(cli))
        .map(|()| std::process::ExitCode::SUCCESS)
}

async fn run_command(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Check { .. } => unreachable!("handled before the runtime starts"),
        Command::Serve(serve_config) => serve(&cli.db, serve_config).await,
        Command::Migrate => {
            let db = Database::open(&cli.db).await?;
            let result = database::migrate(&db.pool).await;
            db.close().await;
            result
        }
        Command::User { command } => {
            let db = Database::open(&cli.db).await?;
            let result = match database::migrate(&db.pool).await {
                Ok(()) => user_command(&db, command).await,
                Err(e) => Err(e),
            };
            db.close().await;
            result
        }
    }
}

async fn serve(db_config: &DbConfig, config: ServeConfig) -> anyhow::Result<()> {
    let db = Database::open(db_config).await?;
    let result = run(&db, config).await;
    db.close().await;
    result
}

async fn run(db: &Database, config: ServeConfig) -> anyhow::Result<()> {
    database::migrate(&db.pool).await?;
    database::check_durability(&db.pool).await?;
    if config.demo {
        demo::load(&db.pool)
            .await
            .context("loading the demo dataset")?;
        println!("演示数据已就绪。演示账户（密码均为 {}）：", demo::PASSWORD);
        for (username, label) in demo::accounts() {
            println!("  {username:<20} {label}");
        }
    }
    kechuang::db::notices::spawn_daily(db.pool.clone()); // deadline reminders: now, then daily at Beijing midnight
    let state = AppState::new(
        db.pool.clone(),
        WebConfig {
            secure_cookies: config.secure_cookies,
            trust_proxy: config.trust_proxy,
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
            sqlx::query_scalar("SELECT id FROM platforms WHERE code = $1")
                .bind(code.trim().to_uppercase())
                .fetch_optional(&db.pool)
                .await?
                .with_context(|| format!("no platform with code {code}"))?,
        ),
        (Role::Operator, None) => bail!("an operator needs --platform CODE"),
        (_, Some(_)) => bail!("--platform is only for operators"),
        _ => None,
    };
    let jurisdiction_id: Option<i32> = match (role, jurisdiction) {
        (Role::Staff, Some(code)) => Some(
            sqlx::query_scalar("SELECT id FROM jurisdictions WHERE code = $1")
                .bind(code.trim())
                .fetch_optional(&db.pool)
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
