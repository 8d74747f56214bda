//! `tls=1`: the relay speaks TLS to the target, verifying it against webpki roots plus
//! `--ca-file`. The target is a local TLS echo server with a CA made by the test.

mod common;

use std::sync::Arc;

use common::*;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;

/// A TLS echo server for `localhost` on 127.0.0.1:0, and its CA's PEM file.
async fn tls_echo() -> (u16, std::path::PathBuf) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "streamlab test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();

    let ca_file = temp_path("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    let (mut r, mut w) = tokio::io::split(tls);
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                    let _ = tokio::io::AsyncWriteExt::shutdown(&mut w).await;
                }
            });
        }
    });
    (port, ca_file)
}

/// A relay allowing the TLS echo server and trusting its CA.
async fn relay_trusting(port: u16, ca_file: &std::path::Path) -> Relay {
    let mut config = allowing(&[&format!("127.0.0.1:{port}")]);
    config.ca_file = Some(ca_file.to_path_buf());
    Relay::start(config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_a_target_with_the_ca_file() {
    let (port, ca_file) = tls_echo().await;
    let relay = relay_trusting(port, &ca_file).await;
    let mut c = relay.connect_query(&format!("host=127.0.0.1&port={port}&tls=1&sni=localhost")).await;
    c.connected().await;
    c.send(b"over TLS\n").await;
    assert_eq!(c.read_exact(9).await, b"over TLS\n");
    c.send_eof().await;
    assert_eq!(c.read_to_eof().await, b"");
    assert_eq!(c.closed().await.code, 1000);

    // The certificate is for localhost, not for another name.
    let closed = relay
        .connect_query(&format!("host=127.0.0.1&port={port}&tls=1&sni=example.com"))
        .await
        .closed()
        .await;
    assert_eq!(closed.code, 4502, "{closed:?}");
    assert!(closed.reason.contains("TLS handshake with example.com failed"), "{closed:?}");
    relay.stop().await;
    std::fs::remove_file(ca_file).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_issuer_is_refused() {
    let (port, ca_file) = tls_echo().await;
    let relay = Relay::start(allowing(&[&format!("127.0.0.1:{port}")])).await;
    let closed =
        relay.connect_query(&format!("host=127.0.0.1&port={port}&tls=1&sni=localhost")).await.closed().await;
    assert_eq!(closed.code, 4502, "{closed:?}");
    assert!(closed.reason.contains("UnknownIssuer"), "{closed:?}");
    relay.stop().await;
    std::fs::remove_file(ca_file).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_tls_upload_ending_in_eof_arrives_whole() {
    // TLS keeps records buffered after write(): the relay must flush each message, and send
    // close_notify/FIN only after all of it.
    let (port, ca_file) = tls_echo().await;
    let relay = relay_trusting(port, &ca_file).await;
    let mut c = relay.connect_query(&format!("host=127.0.0.1&port={port}&tls=1&sni=localhost")).await;
    c.connected().await;
    let sent: Vec<u8> = (0..600_000u32).map(|i| (i % 253) as u8).collect();
    for piece in sent.chunks(70_000) {
        c.send(piece).await;
    }
    c.send_eof().await;
    assert_eq!(c.read_to_eof().await, sent);
    assert_eq!(c.closed().await.code, 1000);
    relay.stop().await;
    std::fs::remove_file(ca_file).ok();
}
