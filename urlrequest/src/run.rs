//! The two ways a request runs: on a thread with a blocking runtime, in a
//! task with an async one. Both feed the same [`Session`] and deliver the
//! same calls; they differ only in how they wait.

use std::ops::ControlFlow;

use crate::runtime::{AsyncRuntime, BlockingRuntime, EventSource, Job, Runtime};
use crate::session::{Call, Session};
use crate::url_request::{Launch, UrlRequest};

pub(crate) fn job<R: Runtime>(req: &UrlRequest<R>, launch: Launch<R>) -> (Job<R>, Session) {
    let session = Session::new(
        launch.file_path,
        launch.debug,
        launch.keep_response,
        launch.repeat_final_progress,
    );
    let job = Job {
        client: launch.client.unwrap_or_else(R::default_client),
        tls: launch.tls,
        request: launch.request,
        cancel: req.cancel_ref().clone(),
        debug: launch.debug,
        upload: launch.upload,
    };
    (job, session)
}

/// The body of a request's worker thread. The outcome is delivered once
/// the runtime is done with the exchange (its connection back in the pool
/// or closed), so a request made from the outcome's callback, or right
/// after `wait`, finds the connection there.
pub(crate) fn blocking<R: BlockingRuntime>(req: &UrlRequest<R>, launch: Launch<R>) {
    let (job, mut session) = job(req, launch);
    let mut outcome = None;
    R::drive(job, &mut |event, ex| {
        if outcome.is_some() {
            return ControlFlow::Break(());
        }
        match session.handle(event, ex.response_head(), req.properties()) {
            // The end; a failing file ends the request before its exchange
            // does, so the exchange is stopped.
            Some(call @ Call::Finish { .. }) => {
                outcome = Some(call);
                ControlFlow::Break(())
            }
            Some(call) => {
                req.deliver(call);
                ControlFlow::Continue(())
            }
            None => ControlFlow::Continue(()),
        }
    });
    req.deliver(outcome.unwrap_or_else(|| session.ended_without_outcome()));
}

/// The body of the first `send()`: runs in the awaiting task; callbacks run
/// there as they become due. If the future is dropped half-way, the
/// request is abandoned: cancelled, its socket closed, no callback run.
pub(crate) async fn in_task<R: AsyncRuntime>(req: &UrlRequest<R>, launch: Launch<R>) {
    struct AbandonOnDrop<'a, R: Runtime>(&'a UrlRequest<R>, bool);
    impl<R: Runtime> Drop for AbandonOnDrop<'_, R> {
        fn drop(&mut self) {
            if !self.1 {
                self.0.abandon();
            }
        }
    }
    let mut guard = AbandonOnDrop(req, false);
    let (job, mut session) = job(req, launch);
    let call = match R::events(job).await {
        Err(error) => Call::finish(Err(error)),
        Ok(mut events) => loop {
            let Some(event) = events.next_event().await else {
                break session.ended_without_outcome();
            };
            if let Some(call) = session.handle(event, events.response_head(), req.properties()) {
                if matches!(call, Call::Finish { .. }) {
                    break call;
                }
                req.deliver(call);
                req.dispatch_pending();
            }
        },
    };
    req.deliver(call);
    req.dispatch_pending();
    guard.1 = true;
}
