// Test support: counts heap allocations made by the calling thread, by
// interposing malloc & co. (glibc supports replacing them; the real ones are
// reached through __libc_*). Linked into the test executable only.
#ifndef CALLOCATIONCOUNTER_H
#define CALLOCATIONCOUNTER_H
void CAllocationCounter_start(void);
/// Stops counting and returns the allocations this thread made since start.
long CAllocationCounter_stop(void);
#endif
