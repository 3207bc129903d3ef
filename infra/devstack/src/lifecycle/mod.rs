//! The devstack's lifecycle: read the template, start moto and create the resources in it,
//! resolve the stack, start the functions and the gateway, write stack.json; then, on
//! Ctrl-C / SIGTERM / stdin EOF, stop it all in reverse and remove stack.json. A failure
//! at any step stops whatever had started before it.
//!
//! The gateway's port is bound before anything else, so that a busy port fails fast and
//! port 0 becomes the real port that the functions' `MANAGEMENT_ENDPOINT` names.
//!
//! The AWS port (`--aws-port`) is the AWS proxy's ([`crate::aws_proxy`]): functions and
//! clients reach moto (on a free port of its own) and `@connections` through it, so that
//! every request is counted; it also serves the control API ([`crate::control`]).
//!
//! The web app's port (`--web-port`) is bound before the template resolves too, when
//! `--web-dir` holds a built app: its origin is then added to `AllowedWebOrigins`, so the
//! files bucket's CORS rule lets the served page use the presigned URLs ([`crate::web`]).

mod shutdown;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::aws::create_platform_applications;
use crate::aws::{provision, AwsClients, AwsError, Moto, MotoOptions};
use crate::aws_proxy::metrics::Metrics;
use crate::aws_proxy::{AwsProxy, Upstreams};
use crate::cognito::outbox::{self, Outbox};
use crate::cognito::LocalCognito;
use crate::config::Options;
use crate::control;
use crate::gateway::{Gateway, GatewayConfig, PostRecorder};
use crate::iam::Authorizer;
use crate::lambda::{Functions, InvokeError};
use crate::stack_json::{self, StackFile, WrittenStackFile};
use crate::stack_spec::StackSpec;
use crate::streams::Pollers;
use crate::template::headers::{security_headers, LocalEndpoints};
use crate::template::{
    record_placeholders, stack_spec, Deployment, LocalStack, Resolver, Template, TemplateError,
    LOCAL_WEB_ORIGINS,
};
use crate::web::{self, WebApp};

/// Why the stack could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("cannot listen on port {port} for the gateway: {source}")]
    GatewayPort { port: u16, source: std::io::Error },
    #[error("cannot listen on port {port} for the AWS endpoint: {source}")]
    AwsPort { port: u16, source: std::io::Error },
    #[error("cannot listen on port {port} for the web app: {source}")]
    WebPort { port: u16, source: std::io::Error },
    #[error("function {function}: binary {} not found; build the functions first (cargo build)", binary.display())]
    MissingBinary { function: String, binary: PathBuf },
    #[error("starting the functions: {0}")]
    Functions(#[from] InvokeError),
    #[error("starting the gateway: {0}")]
    Gateway(std::io::Error),
    #[error("opening the post record {}: {source}", path.display())]
    PostRecord {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing {}: {source}", path.display())]
    StackFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Everything the devstack started, stopped by [`RunningStack::stop`].
pub struct RunningStack {
    description: StackFile,
    stack_file: WrittenStackFile,
    gateway: Gateway,
    functions: Functions,
    proxy: AwsProxy,
    streams: Pollers,
    moto: Moto,
    spec: StackSpec,
    web: Option<WebApp>,
}

/// Starts the stack, prints where it is, serves until asked to stop, stops.
pub async fn run(options: Options) -> Result<(), RunError> {
    let stack = start(&options).await?;
    stack.print_summary(&options);
    let reason = shutdown::requested(options.exit_on_stdin_eof).await;
    tracing::info!(reason, "shutting down");
    stack.stop().await;
    Ok(())
}

/// Starts everything and writes the stack file; returns once the stack serves.
pub async fn start(options: &Options) -> Result<RunningStack, RunError> {
    let template = Template::load(&options.template)?;
    let mut overrides: BTreeMap<String, String> = options.parameters.iter().cloned().collect();
    let web_listener = if web::is_built(&options.web_dir) {
        let (listener, port) = bind_local(options.web_port, |port, source| RunError::WebPort {
            port,
            source,
        })
        .await?;
        if template.parameter("AllowedWebOrigins").is_some() {
            // On top of the local default (a Vite dev server on 5173) or the origins given.
            let configured = overrides
                .get("AllowedWebOrigins")
                .map_or(LOCAL_WEB_ORIGINS, String::as_str);
            let origins = web::allowed_origins(configured, port);
            overrides.insert("AllowedWebOrigins".to_owned(), origins);
        }
        Some(listener)
    } else {
        None
    };
    let mut resolver = Resolver::new(
        &template,
        Deployment::local(&template, &options.region, &overrides),
    )?;
    let (listener, gateway_port) = bind_local(options.gateway_port, |port, source| {
        RunError::GatewayPort { port, source }
    })
    .await?;
    let (aws_listener, aws_port) = bind_local(options.aws_port, |port, source| RunError::AwsPort {
        port,
        source,
    })
    .await?;

    // The web app's headers, settled before anything starts, so that a policy the local
    // stack cannot play stops it here. The policy names only the WebSocket API and pseudo
    // parameters: placeholders for every resource resolve it, and the AWS endpoints in it
    // are replaced by these local ones anyway.
    let web_headers = if web_listener.is_some() {
        let mut placeholders = resolver.clone();
        record_placeholders(&mut placeholders, |_| false)?;
        let local = LocalEndpoints {
            websocket: format!("ws://127.0.0.1:{gateway_port}"),
            aws: format!("http://127.0.0.1:{aws_port}"),
        };
        security_headers(&placeholders, &local)?
    } else {
        Vec::new()
    };

    let moto = Moto::start(&MotoOptions::new(&options.venv, 0)).await?;
    let listeners = Listeners {
        gateway: listener,
        gateway_port,
        aws: aws_listener,
        aws_port,
    };
    match start_on_moto(options, &mut resolver, &moto, listeners).await {
        Ok((description, stack_file, gateway, functions, proxy, spec, streams)) => {
            let web = match web_listener {
                Some(listener) => {
                    let config = serde_json::to_value(&description).unwrap_or_default();
                    match WebApp::start(listener, &options.web_dir, config, &web_headers) {
                        Ok(web) => Some(web),
                        Err(source) => {
                            tracing::warn!(%source, "the web app is not served");
                            None
                        }
                    }
                }
                None => None,
            };
            Ok(RunningStack {
                description,
                stack_file,
                gateway,
                functions,
                proxy,
                streams,
                moto,
                spec,
                web,
            })
        }
        Err(error) => {
            moto.stop().await;
            Err(error)
        }
    }
}

type Started = (
    StackFile,
    WrittenStackFile,
    Gateway,
    Functions,
    AwsProxy,
    StackSpec,
    Pollers,
);

/// The ports bound before anything started.
struct Listeners {
    gateway: TcpListener,
    gateway_port: u16,
    aws: TcpListener,
    aws_port: u16,
}

/// Binds 127.0.0.1:`port` (0: a free port); returns the listener and the port it got.
async fn bind_local(
    port: u16,
    error: fn(u16, std::io::Error) -> RunError,
) -> Result<(TcpListener, u16), RunError> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .map_err(|source| error(port, source))?;
    let bound = listener
        .local_addr()
        .map_err(|source| error(port, source))?
        .port();
    Ok((listener, bound))
}

async fn start_on_moto(
    options: &Options,
    resolver: &mut Resolver<'_>,
    moto: &Moto,
    listeners: Listeners,
) -> Result<Started, RunError> {
    let clients = AwsClients::new(moto.endpoint(), &options.region).await;
    // Before anything resolves: the platform application ARNs are template parameters.
    let given: Vec<String> = options
        .parameters
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    create_platform_applications(&clients, resolver, &given).await?;
    provision(&clients, resolver).await?;

    let aws_port = listeners.aws_port;
    let local = LocalStack {
        aws_endpoint: format!("http://127.0.0.1:{aws_port}"),
        region: options.region.clone(),
        gateway_port: listeners.gateway_port,
        management_port: aws_port,
        bin_dir: absolute(&options.bin_dir),
    };
    let spec = stack_spec(resolver, &local)?;
    for function in &spec.functions {
        if !function.binary.is_file() {
            return Err(RunError::MissingBinary {
                function: function.name.clone(),
                binary: function.binary.clone(),
            });
        }
    }
    let description = stack_json::describe(resolver, &spec, &local)?;
    // Each function's requests are checked against its role, as deployed.
    let iam = Arc::new(Authorizer::from_template(
        resolver,
        api_id(resolver).as_deref().unwrap_or_default(),
    )?);

    let functions = Functions::new(&spec.functions, options.region.clone());
    let metrics = Arc::new(Metrics::default());
    let upstreams = Upstreams {
        aws: moto.endpoint().to_owned(),
        management: format!("http://127.0.0.1:{}", listeners.gateway_port),
    };
    let outbox = Outbox::default();
    let cognito = LocalCognito::new(
        resolver,
        functions.clone(),
        clients.cognito.clone(),
        &options.region,
        outbox.clone(),
    )?;
    let control =
        control::router(functions.clone(), Arc::clone(&metrics)).merge(outbox::router(outbox));
    let proxy = AwsProxy::start(
        listeners.aws,
        upstreams,
        metrics,
        iam,
        control,
        Some(Arc::new(cognito)),
    )
    .map_err(|source| RunError::AwsPort {
        port: aws_port,
        source,
    })?;
    let served = serve(
        options,
        resolver,
        &spec,
        &functions,
        listeners.gateway,
        &description,
    )
    .await;
    match served {
        Ok((gateway, stack_file)) => {
            match Pollers::start(resolver, moto.endpoint(), &options.region, &functions).await {
                Ok(streams) => Ok((
                    description,
                    stack_file,
                    gateway,
                    functions,
                    proxy,
                    spec,
                    streams,
                )),
                Err(error) => {
                    let _ = gateway.shutdown().await;
                    functions.shutdown().await;
                    proxy.shutdown().await;
                    Err(error.into())
                }
            }
        }
        Err(error) => {
            functions.shutdown().await;
            proxy.shutdown().await;
            Err(error)
        }
    }
}

/// Prewarms the functions, starts the gateway in front of them, writes the stack file.
async fn serve(
    options: &Options,
    resolver: &Resolver<'_>,
    spec: &StackSpec,
    functions: &Functions,
    listener: TcpListener,
    description: &StackFile,
) -> Result<(Gateway, WrittenStackFile), RunError> {
    if let Err(failure) = functions.prewarm().await {
        // As in Lambda, an init failure fails an invocation, not the service: the next
        // invocation starts a fresh process. Each failure was logged with its reason.
        tracing::warn!(%failure, "a function did not start; it will be started again on its first invocation");
    }
    let mut config = GatewayConfig::new(spec.websocket.clone(), options.region.clone());
    // requestContext.apiId then matches what `Ref WebSocketApi` resolved to.
    if let Some(api_id) = api_id(resolver) {
        config = config.with_api_id(api_id);
    }
    if let Some(path) = &options.record_posts {
        let recorder = PostRecorder::open(path).map_err(|source| RunError::PostRecord {
            path: path.clone(),
            source,
        })?;
        tracing::info!(path = %path.display(), "recording every @connections post body");
        config = config.with_post_recorder(Arc::new(recorder));
    }
    let gateway = Gateway::start(config, Arc::new(functions.clone()), listener)
        .await
        .map_err(RunError::Gateway)?;
    match stack_json::write(description, &options.stack_file) {
        Ok(written) => Ok((gateway, written)),
        Err(source) => {
            if let Err(error) = gateway.shutdown().await {
                tracing::warn!(%error, "stopping the gateway");
            }
            Err(RunError::StackFile {
                path: options.stack_file.clone(),
                source,
            })
        }
    }
}

impl RunningStack {
    /// What stack.json says.
    pub fn description(&self) -> &StackFile {
        &self.description
    }

    pub fn stack_file(&self) -> &Path {
        self.stack_file.path()
    }

    pub fn spec(&self) -> &StackSpec {
        &self.spec
    }

    /// The web app's URL, when it is served.
    pub fn web_url(&self) -> Option<String> {
        self.web.as_ref().map(WebApp::url)
    }

    /// Stops the gateway (clients get 1001 and `$disconnect` runs), then the functions,
    /// then moto, and removes the stack file.
    pub async fn stop(self) {
        if let Some(web) = self.web {
            web.shutdown().await;
        }
        if let Err(error) = self.stack_file.remove() {
            tracing::warn!(%error, "removing the stack file");
        }
        self.streams.stop().await;
        if let Err(error) = self.gateway.shutdown().await {
            tracing::warn!(%error, "stopping the gateway");
        }
        self.functions.shutdown().await;
        self.proxy.shutdown().await;
        self.moto.stop().await;
        tracing::info!("devstack stopped");
    }

    /// Where everything is, which knobs move it, then the ready line tests wait for.
    fn print_summary(&self, options: &Options) {
        let d = &self.description;
        let functions: Vec<_> = self
            .spec
            .functions
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let routes: Vec<_> = self
            .spec
            .websocket
            .routes
            .iter()
            .map(|r| r.key.as_str())
            .collect();
        let web = match &self.web {
            Some(web) => format!(
                "devstack: web app        {}   open it in a browser   (--web-port / DEVSTACK_WEB_PORT, default 8792)\n\
                 devstack: sign-up codes  {}/_devstack/outbox\n",
                web.url(),
                d.aws_endpoint
            ),
            None => format!(
                "devstack: web app        not built ({} has no index.html: `make dev` builds it)\n",
                options.web_dir.display()
            ),
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "devstack: WebSocket API  {}?token=JWT   (--gateway-port / DEVSTACK_GATEWAY_PORT, default 8790)\n\
             devstack: @connections   {}\n\
             devstack: AWS (moto)     {}   region {}   (--aws-port / DEVSTACK_AWS_PORT, default 8791)\n\
             devstack: counters       {}/_devstack/counters\n\
             devstack: user pool      {}   client {}\n\
             devstack: bucket         {}\n\
             devstack: functions      {}   routes {}\n\
             devstack: stack file     {}   (--stack-file)\n\
             {web}\
             devstack ready: {}",
            d.websocket_url,
            d.management_endpoint,
            d.aws_endpoint,
            d.region,
            d.aws_endpoint,
            d.user_pool_id,
            d.user_pool_client_id,
            d.bucket,
            functions.join(", "),
            routes.join(" "),
            options.stack_file.display(),
            d.websocket_url,
        );
        let _ = out.flush();
    }
}

/// What `Ref` of the template's WebSocket API resolved to.
fn api_id(resolver: &Resolver<'_>) -> Option<String> {
    resolver
        .template()
        .resources_of_kind("AWS::ApiGatewayV2::Api")
        .find_map(|api| resolver.physical(&api.logical_id))
        .map(|api| api.id.clone())
}

/// Function binaries are started by path; make it independent of any later directory.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
