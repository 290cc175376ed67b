//! A throwaway PostgreSQL cluster (initdb + pg_ctl on a free port, in a temporary directory)
//! for the database TLS tests, the restart drill and the read replica tests: whether the
//! shared server speaks TLS is not ours to choose, and the shared server is never ours to
//! restart (nor to replicate), so each test starts a server it knows. A cluster can give a
//! hot standby of itself ([`ThrowawayCluster::start_standby`]: `pg_basebackup -R`, streaming
//! replication over the loopback). With TLS, a CA and a server certificate
//! are generated per cluster (rcgen); the app connects as a password role (SCRAM, so over
//! TLS the channel binding is exercised as it is against RDS).
//!
//! Needs PostgreSQL's server binaries: `initdb`, `pg_ctl` (and `pg_basebackup` for a standby) on PATH, else the highest
//! `/usr/lib/postgresql/<version>/bin` (Debian, Ubuntu and the GitHub runners), else
//! `POSTECH_PG_BINDIR`. Run as root, the server runs as the `postgres` user (initdb refuses
//! root).

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// Whether the cluster speaks TLS, and for which names its certificate is issued.
pub enum ServerTls<'a> {
    Off,
    On { certificate_names: &'a [&'a str] },
}

/// A running cluster, stopped and deleted on drop.
pub struct ThrowawayCluster {
    directory: PathBuf,
    bin: PathBuf,
    as_postgres_user: bool,
    port: u16,
    password: String,
    /// The server options `pg_ctl start` was given (a restart gives them again).
    options: String,
}

impl ThrowawayCluster {
    /// Creates and starts a cluster with role `app` (a random password) allowed in over TCP
    /// with SCRAM.
    pub async fn start(tls: ServerTls<'_>) -> Self {
        let directory = std::env::temp_dir().join(format!("postech-pg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&directory).unwrap();
        let mut cluster = Self {
            bin: server_binaries(),
            as_postgres_user: running_as_root(),
            port: free_port(),
            password: uuid::Uuid::new_v4().simple().to_string(),
            directory,
            options: String::new(),
        };
        cluster.hand_over(&cluster.directory);
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        let ssl = match tls {
            ServerTls::Off => "off",
            ServerTls::On { certificate_names } => {
                cluster.issue_certificates(certificate_names);
                "on"
            }
        };
        cluster.options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c ssl={ssl} -c fsync=off",
            cluster.port,
            path(&cluster.directory),
        );
        cluster.start_server();
        cluster.create_app_role().await;
        cluster
    }

    /// A hot standby of this cluster, streaming from it: `pg_basebackup -R` (the standby
    /// signal and `primary_conninfo` over this cluster's Unix socket, as the superuser), then
    /// started on its own free port, waiting until it accepts read-only connections. Role
    /// `app` and its password come with the copy.
    #[allow(dead_code)] // The read replica tests', not the TLS tests' nor the drill's.
    pub fn start_standby(&self) -> Self {
        let directory = std::env::temp_dir().join(format!("postech-pg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&directory).unwrap();
        let port = free_port();
        let standby = Self {
            bin: self.bin.clone(),
            as_postgres_user: self.as_postgres_user,
            port,
            password: self.password.clone(),
            options: format!(
                "-p {port} -c listen_addresses=127.0.0.1 -k {} -c ssl=off -c fsync=off -c hot_standby=on",
                path(&directory),
            ),
            directory,
        };
        standby.hand_over(&standby.directory);
        self.run(
            "pg_basebackup",
            &[
                "-h",
                path(&self.directory),
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-D",
                path(&standby.data()),
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",
                "--no-sync",
            ],
        );
        standby.start_server();
        standby
    }

    /// The first column of the first row of `query`, as text, run as the superuser (NULL:
    /// `None`).
    #[allow(dead_code)] // The read replica tests'.
    pub async fn admin_query(&self, query: &str) -> Option<String> {
        let admin = format!(
            "host={} port={} user=postgres dbname=postgres",
            path(&self.directory),
            self.port
        );
        let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        let row = client.query_one(query, &[]).await.unwrap();
        let value: Option<String> = row.get(0);
        drop(client);
        driver.await.unwrap().unwrap();
        value
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn start_server(&self) {
        let log = self.directory.join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                path(&self.data()),
                "-l",
                path(&log),
                "-w",
                "-t",
                "60",
                "-o",
                &self.options,
                "start",
            ],
        );
    }

    /// Stops the server with `pg_ctl -m <mode>` (`smart`, `fast`, `immediate`), waiting
    /// until it is down.
    #[allow(dead_code)] // The restart drill's (tests/payments), not the TLS tests'.
    pub fn stop_server(&self, mode: &str) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                path(&self.data()),
                "-m",
                mode,
                "-w",
                "-t",
                "60",
                "stop",
            ],
        );
    }

    /// Runs statements as the superuser (over the cluster's Unix socket).
    pub async fn admin_execute(&self, statements: &str) {
        let admin = format!(
            "host={} port={} user=postgres dbname=postgres",
            path(&self.directory),
            self.port
        );
        let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        client.batch_execute(statements).await.unwrap();
        drop(client);
        driver.await.unwrap().unwrap();
    }

    /// `postgres://app:…@{host}:{port}/postgres?hostaddr=127.0.0.1{query}`: the TCP address
    /// is fixed, `host` is the name TLS checks the certificate against.
    pub fn url(&self, host: &str, query: &str) -> String {
        format!(
            "postgres://app:{}@{host}:{}/postgres?hostaddr=127.0.0.1{query}",
            self.password, self.port
        )
    }

    /// The password of role `app` (to check messages never carry it).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The PEM file of the CA that issued the server certificate.
    pub fn ca_bundle(&self) -> PathBuf {
        self.directory.join("ca.pem")
    }

    /// A PEM file with a CA that issued nothing this server presents.
    pub fn foreign_ca_bundle(&self) -> PathBuf {
        let path = self.directory.join("foreign-ca.pem");
        let (certificate, _) = certificate_authority("some other CA");
        std::fs::write(&path, certificate).unwrap();
        path
    }

    fn data(&self) -> PathBuf {
        self.directory.join("data")
    }

    fn issue_certificates(&self, names: &[&str]) {
        let (ca_pem, ca) = certificate_authority("postech test CA");
        let server_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(
            names
                .iter()
                .map(|&name| name.to_owned())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("server"),
        );
        let certificate = params.signed_by(&server_key, &ca).unwrap();
        std::fs::write(self.ca_bundle(), ca_pem).unwrap();
        let data = self.data();
        std::fs::write(data.join("server.crt"), certificate.pem()).unwrap();
        let key = data.join("server.key");
        std::fs::write(&key, server_key.serialize_pem()).unwrap();
        // PostgreSQL refuses a key others can read.
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        self.hand_over(&data);
    }

    async fn create_app_role(&self) {
        self.admin_execute(&format!(
            "CREATE ROLE app LOGIN PASSWORD '{}'",
            self.password
        ))
        .await;
    }

    /// Runs one of the server binaries, as `postgres` when the tests run as root.
    fn run(&self, binary: &str, arguments: &[&str]) {
        let program = self.bin.join(binary);
        let mut command = if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let output = command
            .args(arguments)
            .output()
            .unwrap_or_else(|error| panic!("{}: {error}", program.display()));
        assert!(
            output.status.success(),
            "{binary} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Makes `target` (recursively) the server user's when it is not the current one.
    fn hand_over(&self, target: &Path) {
        if self.as_postgres_user {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(target)
                .status()
                .unwrap();
            assert!(status.success(), "chown {}", target.display());
        }
    }
}

impl Drop for ThrowawayCluster {
    fn drop(&mut self) {
        let data = self.data();
        let program = self.bin.join("pg_ctl");
        let mut command = if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        // Best effort: a failed stop must not hide the test's own failure.
        let _ = command
            .args(["-D", path(&data), "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

/// A self-signed CA: its PEM and the issuer signing with it.
fn certificate_authority(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let pem = params.self_signed(&key).unwrap().pem();
    (pem, Issuer::new(params, key))
}

fn server_binaries() -> PathBuf {
    if let Some(bin) = std::env::var_os("POSTECH_PG_BINDIR") {
        return PathBuf::from(bin);
    }
    // Where `initdb` on PATH really is: a PATH holding links to two of the binaries (as
    // /usr/local/bin here) must not hide the others (`pg_basebackup`) beside the real ones.
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
            .map(|dir| {
                dir.join("initdb")
                    .canonicalize()
                    .ok()
                    .and_then(|initdb| initdb.parent().map(Path::to_path_buf))
                    .filter(|real| real.join("pg_ctl").is_file())
                    .unwrap_or(dir)
            })
    });
    if let Some(bin) = on_path {
        return bin;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "throwaway clusters need PostgreSQL's server binaries (initdb, pg_ctl): put them \
             on PATH, install them under /usr/lib/postgresql/<version>/bin, or set POSTECH_PG_BINDIR"
        )
    })
}

fn running_as_root() -> bool {
    let output = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}
