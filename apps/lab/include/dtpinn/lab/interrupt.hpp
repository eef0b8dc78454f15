#pragma once
// Interruption as a feature of the programs around the engine (`dtpinn`, the Python module):
// SIGINT / SIGTERM only raise a flag, which the program hands to the engine as its stop check
// (core::StopCheck, read by the training loop between epochs and between the loss evaluations
// inside them); the run then ends with
// stop_reason "interrupted" and is written as usual. The engine library installs no handler.
//
// Thread-safety: the flag and the count are lock-free atomics, safe from any thread and from
// the handler itself (async-signal-safe).
namespace dtpinn::lab {

/// After this, the first SIGINT or SIGTERM only sets the flag (the handler does nothing else).
/// A second signal ends the process at once (exit 128 + signal) when `exit_on_second` (a
/// launcher sets it false and reads interrupt_count() to escalate itself).
void install_interrupt_handlers(bool exit_on_second = true);
/// The first SIGINT / SIGTERM received since start (or the last request_interrupt(0)), 0: none.
/// This is the stop check a program gives the engine.
int interrupt_signal();
/// How many were received.
int interrupt_count();
/// As if `signal` had arrived (tests; a forwarded stop); 0 clears the flag and the count.
void request_interrupt(int signal);

}  // namespace dtpinn::lab
