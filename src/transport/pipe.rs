//! The pipe transport: both ends of a connection inside the page, for in-page servers
//! (`start_server('mine.demo', 8888)` served to `open_connection('mine.demo', 8888)`). What one
//! end writes reaches the other on a later tick, as a TCP segment would, in chunks of at most
//! [`MAX_DATA_FRAME`]; an end that pauses reading leaves the bytes queued, so the writer's
//! buffer fills and its `drain()` waits: the flow control of a loopback socket pair.
//!
//! # Python parity
//! `close()` is a FIN, and the end's `connection_lost(None)` once its bytes are handed on;
//! bytes written to an end that has closed are dropped (over TCP a reset would answer them).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use bytes::{Bytes, BytesMut};

use super::write_flow::WriteFlow;
use super::{ExtraInfo, Protocol, Transport};
use crate::protocol::MAX_DATA_FRAME;
use crate::runtime;
use crate::sansio::PyException;

/// One direction of the pipe: what an end wrote, not yet delivered to the other.
#[derive(Default)]
struct Lane {
    queued: VecDeque<Bytes>,
    size: usize,
    /// The writer sent EOF (`write_eof()` or `close()`), delivered after the queued bytes.
    eof: bool,
    eof_delivered: bool,
    flow: WriteFlow,
}

#[derive(Default)]
struct Shared {
    /// `lanes[i]`: from end `i` to the other.
    lanes: [Lane; 2],
    /// End `i` stopped reading (pause_reading), closed, or was told it lost the connection.
    paused: [bool; 2],
    closed: [bool; 2],
    lost: [bool; 2],
    protocols: [Option<Weak<dyn Protocol>>; 2],
    names: [(String, u16); 2],
    /// A delivery is scheduled.
    scheduled: bool,
}

/// One end of an in-page connection.
pub struct PipeEnd {
    shared: Rc<RefCell<Shared>>,
    side: usize,
}

/// Connects `client` and `server` (their `connection_made` are called, client first);
/// `client_name` and `server_name` are what `sockname`/`peername` show.
///
/// # Errors
/// Natively, outside [`run`](crate::run).
pub fn connect(
    client: Rc<dyn Protocol>,
    server: Rc<dyn Protocol>,
    client_name: (String, u16),
    server_name: (String, u16),
) -> Result<(), PyException> {
    let shared = Rc::new(RefCell::new(Shared {
        protocols: [Some(Rc::downgrade(&client)), Some(Rc::downgrade(&server))],
        names: [client_name, server_name],
        ..Shared::default()
    }));
    let ends =
        [Rc::new(PipeEnd { shared: Rc::clone(&shared), side: 0 }), Rc::new(PipeEnd { shared, side: 1 })];
    // Both ends hold each other's protocol only weakly: the streams own the ends.
    client.connection_made(Rc::clone(&ends[0]) as Rc<dyn Transport>);
    server.connection_made(Rc::clone(&ends[1]) as Rc<dyn Transport>);
    Ok(())
}

impl PipeEnd {
    fn other(&self) -> usize {
        1 - self.side
    }

    fn protocol(&self, side: usize) -> Option<Rc<dyn Protocol>> {
        self.shared.borrow().protocols[side].as_ref().and_then(Weak::upgrade)
    }

    /// Delivers on a later tick (once, however many writes come first).
    fn schedule(&self) {
        let mut s = self.shared.borrow_mut();
        if s.scheduled {
            return;
        }
        s.scheduled = true;
        drop(s);
        let end = PipeEnd { shared: Rc::clone(&self.shared), side: self.side };
        let _ = runtime::spawn_local(async move {
            runtime::yield_now().await;
            end.shared.borrow_mut().scheduled = false;
            end.deliver();
        });
    }

    /// Hands each end what is queued for it (a chunk per lane per tick), then EOFs and ends.
    fn deliver(&self) {
        for to in 0..2 {
            let from = 1 - to;
            let step = {
                let mut s = self.shared.borrow_mut();
                if s.paused[to] || s.lost[to] {
                    None
                } else if let Some(chunk) = take_chunk(&mut s.lanes[from]) {
                    let lane = &mut s.lanes[from];
                    let resume = lane.flow.after_drain(lane.size);
                    Some((Some(chunk), resume, false))
                } else if s.lanes[from].eof && !s.lanes[from].eof_delivered {
                    s.lanes[from].eof_delivered = true;
                    Some((None, false, true))
                } else {
                    None
                }
            };
            let Some((chunk, resume, eof)) = step else { continue };
            if resume {
                if let Some(p) = self.protocol(from) {
                    p.resume_writing();
                }
            }
            if let Some(p) = self.protocol(to) {
                if let Some(chunk) = chunk {
                    p.data_received(&chunk);
                }
                if eof {
                    p.eof_received();
                }
            }
        }
        // An end that closed is over once what it wrote has been handed on (as CPython's
        // transport flushes before connection_lost), or the peer is gone too.
        for side in 0..2 {
            let done = {
                let mut s = self.shared.borrow_mut();
                let other = 1 - side;
                let flushed = s.lanes[side].queued.is_empty() || s.closed[other] || s.lost[other];
                let done = s.closed[side] && !s.lost[side] && flushed;
                s.lost[side] |= done;
                done
            };
            if done {
                if let Some(p) = self.protocol(side) {
                    p.connection_lost(None);
                }
            }
        }
        let again = {
            let s = self.shared.borrow();
            (0..2).any(|to| {
                let lane = &s.lanes[1 - to];
                let pending = !lane.queued.is_empty() || (lane.eof && !lane.eof_delivered);
                pending && !s.paused[to] && !s.lost[to]
            })
        };
        if again {
            self.schedule();
        }
    }
}

fn take_chunk(lane: &mut Lane) -> Option<Bytes> {
    let first = lane.queued.pop_front()?;
    let mut chunk = BytesMut::from(&first[..]);
    while let Some(next) = lane.queued.front() {
        if chunk.len() + next.len() > MAX_DATA_FRAME {
            break;
        }
        chunk.extend_from_slice(next);
        lane.queued.pop_front();
    }
    if chunk.len() > MAX_DATA_FRAME {
        let rest = chunk.split_off(MAX_DATA_FRAME);
        lane.queued.push_front(rest.freeze());
    }
    lane.size -= chunk.len();
    Some(chunk.freeze())
}

impl std::fmt::Debug for PipeEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.repr())
    }
}

impl Transport for PipeEnd {
    fn write(&self, data: &[u8]) {
        let pause = {
            let mut s = self.shared.borrow_mut();
            let other = self.other();
            if s.closed[self.side] || s.lanes[self.side].eof || data.is_empty() {
                return;
            }
            if s.closed[other] || s.lost[other] {
                return; // the peer is gone: over TCP, a reset would answer
            }
            let lane = &mut s.lanes[self.side];
            lane.queued.push_back(Bytes::copy_from_slice(data));
            lane.size += data.len();
            lane.flow.after_write(lane.size)
        };
        if pause {
            if let Some(p) = self.protocol(self.side) {
                p.pause_writing();
            }
        }
        self.schedule();
    }

    fn write_eof(&self) {
        self.shared.borrow_mut().lanes[self.side].eof = true;
        self.schedule();
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn close(&self) {
        {
            let mut s = self.shared.borrow_mut();
            s.closed[self.side] = true;
            s.lanes[self.side].eof = true;
            s.paused[self.side] = true; // reads no more
        }
        self.schedule();
    }

    fn is_closing(&self) -> bool {
        let s = self.shared.borrow();
        s.closed[self.side] || s.lost[self.side]
    }

    fn get_write_buffer_size(&self) -> usize {
        self.shared.borrow().lanes[self.side].size
    }

    fn get_write_buffer_limits(&self) -> (usize, usize) {
        self.shared.borrow().lanes[self.side].flow.limits()
    }

    fn pause_reading(&self) {
        self.shared.borrow_mut().paused[self.side] = true;
    }

    fn resume_reading(&self) {
        let closed = {
            let mut s = self.shared.borrow_mut();
            s.paused[self.side] = s.closed[self.side];
            s.closed[self.side]
        };
        if !closed {
            self.schedule();
        }
    }

    fn is_reading(&self) -> bool {
        let s = self.shared.borrow();
        !s.paused[self.side] && !s.lost[self.side]
    }

    /// # Python parity
    /// No socket: `sockname` and `peername` are the names the ends were given.
    fn extra_info(&self, name: &str) -> Option<ExtraInfo> {
        let s = self.shared.borrow();
        ExtraInfo::of_addresses(name, &s.names[self.side], &s.names[self.other()])
    }

    fn repr(&self) -> String {
        let state = if self.is_closing() { " closing" } else { "" };
        let s = self.shared.borrow();
        let (host, port) = &s.names[self.other()];
        format!("<PipeTransport {host}:{port}{state}>")
    }
}
