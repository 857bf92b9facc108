//! Wake-up and network signals, sent on a private D-Bus daemon standing in
//! for the system bus.

#![cfg(target_os = "linux")]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use graphlink_core::engine::wake::{self, SystemEvent};
use tokio::sync::mpsc;

#[tokio::test]
async fn resume_and_network_signals_trigger_checks() {
    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("dbus-daemon runs (install dbus)");
    let mut address = String::new();
    BufReader::new(daemon.stdout.take().expect("stdout")).read_line(&mut address).expect("address");
    let address = address.trim().to_owned();

    let connection = zbus::connection::Builder::address(address.as_str()).expect("address").build().await.expect("connect");
    let (sender, mut received) = mpsc::unbounded_channel();
    let watcher = tokio::spawn(wake::watch(connection, move |event| {
        let _ = sender.send(event);
    }));
    // Give the match rules a moment to reach the daemon.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let send = |path: &str, member: &str, value: &str| {
        let status = Command::new("dbus-send")
            .args([&format!("--bus={address}"), "--type=signal", path, member, value])
            .status()
            .expect("dbus-send runs");
        assert!(status.success());
    };
    send("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", "boolean:true");
    send("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", "boolean:false");
    send("/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager.StateChanged", "uint32:20");
    send("/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager.StateChanged", "uint32:70");

    // The two signals arrive on separate streams, so their order may differ.
    let mut events = Vec::new();
    for _ in 0..2 {
        let event = tokio::time::timeout(Duration::from_secs(5), received.recv()).await.expect("signal seen");
        events.extend(event);
    }
    assert!(events.contains(&SystemEvent::Resumed), "{events:?}");
    assert!(events.contains(&SystemEvent::NetworkUp), "{events:?}");
    // Going to sleep and a disconnected network call for no check.
    let extra = tokio::time::timeout(Duration::from_millis(300), received.recv()).await;
    assert!(extra.is_err(), "unexpected event: {extra:?}");

    watcher.abort();
    let _ = daemon.kill();
    let _ = daemon.wait();
}
