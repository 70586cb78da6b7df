//! A TCP relay to a PostgreSQL server that can fall silent, for the tests
//! of a server that takes connections and never answers.
#![allow(dead_code)]

/// A TCP relay to a PostgreSQL server that can fall silent: `go_silent`
/// cuts every connection it relays and from then on takes new ones without
/// a word, as a server that hangs or a network that drops packets does.
pub struct Relay {
    pub port: u16,
    silent: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    pub fn to(upstream: std::net::SocketAddr) -> Relay {
        use std::net::{Shutdown, TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let silent = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::<TcpStream>::new()));
        let (quiet, kept) = (silent.clone(), open.clone());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for client in listener.incoming().flatten() {
                if quiet.load(std::sync::atomic::Ordering::SeqCst) {
                    held.push(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let pump = |mut from: TcpStream, mut to: TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                };
                let mut list = kept.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(server.try_clone().unwrap());
                pump(client.try_clone().unwrap(), server.try_clone().unwrap());
                pump(server, client);
            }
        });
        Relay { port, silent, open }
    }

    /// A relay to the server of `url` (postgres://USER:PW@IP:PORT/DB), and
    /// the URL that goes through it.
    pub fn in_front_of(url: &str) -> (Relay, String) {
        let authority = url
            .split('@')
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .expect("host:port in the URL")
            .to_owned();
        let upstream: std::net::SocketAddr = authority.parse().expect("an IP address and port");
        let relay = Relay::to(upstream);
        let through = url.replace(&authority, &format!("127.0.0.1:{}", relay.port));
        (relay, through)
    }

    pub fn go_silent(&self) {
        self.silent.store(true, std::sync::atomic::Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}
