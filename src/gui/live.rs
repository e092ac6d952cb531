//! Other PCs' changes as they are committed on the clinic's PostgreSQL server: a connection of
//! its own waits for them (LISTEN/NOTIFY) on a thread, and each wakes the window to re-read at
//! once rather than at its next tick. A lost server is waited out and listened to again.

use std::time::Duration;

use iced::futures::Stream;
use iced::Subscription;

use crate::store::pg::{ChangeListener, Server};

/// How long one wait lasts before the thread checks that the window still listens.
const WAIT: Duration = Duration::from_secs(10);
/// How long to wait before connecting again after the server was lost.
const RETRY: Duration = Duration::from_secs(5);

/// One message per commit on the server (several close together may come as one).
pub fn changes(server: Server) -> Subscription<()> {
    Subscription::run_with(server, listen)
}

fn listen(server: &Server) -> impl Stream<Item = ()> + use<> {
    let server = server.clone();
    iced::stream::channel(4, async move |mut out| {
        std::thread::spawn(move || {
            while !out.is_closed() {
                if let Ok(mut listener) = ChangeListener::connect(&server) {
                    loop {
                        match listener.wait(WAIT) {
                            // A full channel already holds a wake-up: this one is not needed.
                            Ok(true) => {
                                let _ = out.try_send(());
                            }
                            Ok(false) => {}
                            Err(_) => break,
                        }
                        if out.is_closed() {
                            return;
                        }
                    }
                }
                std::thread::sleep(RETRY);
            }
        });
        std::future::pending::<()>().await;
    })
}
