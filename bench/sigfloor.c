/* The signalling floor for `make bench`: the call flow of Dialtone's
 * signalling benchmark done by bare libpri in one thread, with nothing else
 * (no switch state machine, no actors, no media, no store).
 *
 * Two legs (the default, what the ratio is taken against): the same
 * topology and the same Q.931 messages as Dialtone's benchmark —
 *   caller (NET) ==socketpair== in (CPE) -> relay -> out (NET) ==socketpair== agent (CPE)
 * per inbound span IN_SPANS caller/in pairs, OUT_SPANS out/agent pairs. The
 * caller sends SETUP; "in" answers CALL PROCEEDING and the relay sends SETUP
 * on the first out span with a free B-channel (top down); the agent sends
 * CALL PROCEEDING, ALERTING, CONNECT; the relay passes ALERTING and CONNECT
 * back to the caller; the caller clears at once (DISCONNECT, RELEASE,
 * RELEASE COMPLETE on both legs). A call counts when all four call
 * references are released (where Dialtone writes its CDR).
 * One leg (LEGS=1, as libpri's testprilib.c): caller (NET) <-> "in" (CPE),
 * which answers itself.
 *
 * CALLS_IN_FLIGHT callers run closed loop: each places its next call as soon
 * as its previous one is released on its side. After 1 s of warm-up,
 * SECONDS are measured; then no new calls, the calls up finish, and the
 * window ends.
 * Usage: sigfloor LEGS IN_SPANS OUT_SPANS CALLS_IN_FLIGHT SECONDS
 * Prints one line: legs in_spans out_spans in_flight calls failed wall_s cpu_s p50_us p99_us
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <libpri.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SPANS 32
#define CHANNELS 30 /* E1 B-channels: 1-15, 17-31 */

enum role { CALLER, IN, OUT, AGENT, ROLES };

struct call;

/* One end of a D-channel. */
struct end {
    struct pri *pri;
    int fd;
    enum role role;
    int span;
    int up;
    struct call *on[32]; /* the call on each B-channel (until its leg here is released) */
};

struct call {
    int slot;
    int in_span, out_span, in_ch, out_ch;
    q931_call *leg[ROLES];
    int clearing[ROLES], released[ROLES];
    int answered, failed;
    double setup_at;
    struct call *next_free;
};

static int legs, in_spans, out_spans, in_flight;
static struct end ends[ROLES][MAX_SPANS];
static struct call *pool, *free_calls;
static int *slot_busy;
static int running, measuring;
static long completed, failed, serial, errors, active;
static double *latencies;
static long nlat, caplat;
static const int bearers[CHANNELS] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void quiet(struct pri *p, char *s) { (void) p; (void) s; }
static void error(struct pri *p, char *s) {
    (void) p;
    if (errors++ < 5) fprintf(stderr, "libpri: %s", s);
}

static struct end *peer_end(enum role r, int span) { return &ends[r][span]; }

static struct call *find(struct end *x, q931_call *c) {
    for (int i = 0; i < CHANNELS; i++) {
        struct call *k = x->on[bearers[i]];
        if (k && k->leg[x->role] == c) return k;
    }
    return NULL;
}

/* NET picks B-channels from the top down, as Dialtone and its simulator do. */
static int free_channel(struct end *x) {
    for (int i = CHANNELS - 1; i >= 0; i--)
        if (!x->on[bearers[i]]) return bearers[i];
    return 0;
}

static int setup(struct end *x, q931_call *c, int channel, const char *calling, const char *called) {
    struct pri_sr *sr = pri_sr_new();
    pri_sr_set_channel(sr, channel, 1, 0);
    pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH, PRI_LAYER_1_ALAW);
    pri_sr_set_called(sr, (char *) called, PRI_NATIONAL_ISDN, 1);
    pri_sr_set_caller(sr, (char *) calling, NULL, PRI_NATIONAL_ISDN, PRES_ALLOWED_NETWORK_NUMBER);
    int res = pri_setup(x->pri, c, sr);
    pri_sr_free(sr);
    return res;
}

static void place(int slot) {
    struct end *x = peer_end(CALLER, slot % in_spans);
    int ch = free_channel(x);
    if (!ch || !free_calls) return; /* tried again next turn */
    struct call *c = free_calls;
    free_calls = c->next_free;
    memset(c, 0, sizeof *c);
    c->slot = slot;
    c->in_span = slot % in_spans;
    c->in_ch = ch;
    c->leg[CALLER] = pri_new_call(x->pri);
    x->on[ch] = c;
    slot_busy[slot] = 1;
    active++;
    char ani[24];
    snprintf(ani, sizeof ani, "555%07ld", serial++ % 10000000);
    c->setup_at = now();
    if (setup(x, c->leg[CALLER], ch, ani, "5551000")) { fprintf(stderr, "sigfloor: pri_setup failed\n"); exit(1); }
}

static void finish(struct call *c) {
    for (int r = 0; r < ROLES; r++)
        if (c->leg[r] && !c->released[r]) return;
    active--;
    if (measuring) {
        if (c->answered && !c->failed) completed++;
        else failed++;
    }
    c->next_free = free_calls;
    free_calls = c;
}

static void hangup_leg(struct call *c, enum role r, int cause) {
    if (!c->leg[r] || c->clearing[r] || c->released[r]) return;
    c->clearing[r] = 1;
    struct end *x = peer_end(r, r == IN || r == CALLER ? c->in_span : c->out_span);
    pri_hangup(x->pri, c->leg[r], cause);
}

/* A leg's far end started clearing: the relay clears the other leg. */
static void disconnected(struct call *c, enum role r, int cause) {
    c->clearing[r] = 1;
    if (r == CALLER && !c->answered) c->failed = 1;
    if (legs == 2 && r == IN) hangup_leg(c, OUT, cause);
    if (legs == 2 && r == OUT) hangup_leg(c, IN, cause);
}

static void released(struct end *x, struct call *c, enum role r) {
    c->released[r] = 1;
    int ch = r == IN || r == CALLER ? c->in_ch : c->out_ch;
    if (x->on[ch] == c) x->on[ch] = NULL;
    if (r == CALLER) slot_busy[c->slot] = 0;
    finish(c);
}

static void route(struct call *c) {
    for (int s = 0; s < out_spans; s++) {
        struct end *o = peer_end(OUT, s);
        int ch = free_channel(o);
        if (!ch) continue;
        c->out_span = s;
        c->out_ch = ch;
        c->leg[OUT] = pri_new_call(o->pri);
        o->on[ch] = c;
        char ani[24];
        snprintf(ani, sizeof ani, "555%07ld", (long) (c - pool));
        setup(o, c->leg[OUT], ch, ani, "5551000");
        return;
    }
    c->failed = 1;
    hangup_leg(c, IN, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
}

static void ring(struct end *x, q931_call *call, int ch) {
    /* The caller's (or the out leg's) call on this channel. */
    struct end *from = peer_end(x->role == IN ? CALLER : OUT, x->span);
    struct call *c = ch > 0 && ch < 32 ? from->on[ch] : NULL;
    if (!c || c->leg[x->role] || x->on[ch]) {
        pri_proceeding(x->pri, call, ch, 0);
        pri_hangup(x->pri, call, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
        return;
    }
    c->leg[x->role] = call;
    x->on[ch] = c;
    pri_proceeding(x->pri, call, ch, 0);
    if (x->role == AGENT || legs == 1) {
        pri_acknowledge(x->pri, call, ch, 1);
        pri_answer(x->pri, call, ch, 0);
    } else {
        route(c);
    }
}

static void handle(struct end *x, pri_event *e) {
    struct call *c;
    switch (e->e) {
    case PRI_EVENT_DCHAN_UP: x->up = 1; break;
    case PRI_EVENT_DCHAN_DOWN: x->up = 0; break;
    case PRI_EVENT_RING: ring(x, e->ring.call, e->ring.channel & 0xff); break;
    case PRI_EVENT_RINGING:
        if (x->role == OUT && (c = find(x, e->ringing.call)) && !c->clearing[IN])
            pri_acknowledge(peer_end(IN, c->in_span)->pri, c->leg[IN], c->in_ch, 1);
        break;
    case PRI_EVENT_ANSWER:
        if (!(c = find(x, e->answer.call))) break;
        if (x->role == OUT && !c->clearing[IN]) {
            pri_answer(peer_end(IN, c->in_span)->pri, c->leg[IN], c->in_ch, 0);
        } else if (x->role == CALLER) {
            c->answered = 1;
            if (measuring && nlat < caplat) latencies[nlat++] = now() - c->setup_at;
            hangup_leg(c, CALLER, PRI_CAUSE_NORMAL_CLEARING); /* hold time zero */
        }
        break;
    case PRI_EVENT_HANGUP_REQ: /* DISCONNECT from the far end */
        if ((c = find(x, e->hangup.call))) disconnected(c, x->role, e->hangup.cause);
        pri_hangup(x->pri, e->hangup.call, e->hangup.cause);
        break;
    case PRI_EVENT_HANGUP: /* RELEASE (COMPLETE): hang up too, or libpri keeps retrying */
        c = find(x, e->hangup.call);
        if (c && !c->clearing[x->role]) disconnected(c, x->role, e->hangup.cause);
        pri_hangup(x->pri, e->hangup.call, e->hangup.cause);
        if (c) released(x, c, x->role);
        break;
    case PRI_EVENT_HANGUP_ACK:
        if ((c = find(x, e->hangup.call))) released(x, c, x->role);
        break;
    default: break;
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static int open_pair(enum role net, enum role cpe, int span) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds)) { perror("socketpair"); return -1; }
    struct end *a = peer_end(net, span), *b = peer_end(cpe, span);
    a->fd = fds[0], a->role = net, a->span = span;
    b->fd = fds[1], b->role = cpe, b->span = span;
    a->pri = pri_new(fds[0], PRI_NETWORK, PRI_SWITCH_EUROISDN_E1);
    b->pri = pri_new(fds[1], PRI_CPE, PRI_SWITCH_EUROISDN_E1);
    if (!a->pri || !b->pri) { fprintf(stderr, "sigfloor: pri_new failed\n"); return -1; }
    pri_hangup_fix_enable(a->pri, 1); /* Q.931 §5.3.2 clearing, as Dialtone enables */
    pri_hangup_fix_enable(b->pri, 1);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: sigfloor LEGS IN_SPANS OUT_SPANS CALLS_IN_FLIGHT SECONDS\n");
        return 2;
    }
    legs = atoi(argv[1]), in_spans = atoi(argv[2]), out_spans = atoi(argv[3]), in_flight = atoi(argv[4]);
    double seconds = atof(argv[5]);
    if ((legs != 1 && legs != 2) || in_spans < 1 || in_spans > MAX_SPANS || (legs == 2 && (out_spans < 1 || out_spans > MAX_SPANS))
        || in_flight < 1 || in_flight > in_spans * CHANNELS || seconds <= 0) {
        fprintf(stderr, "sigfloor: bad arguments (at most %d spans, %d calls in flight per inbound span)\n", MAX_SPANS, CHANNELS);
        return 2;
    }
    if (legs == 1) out_spans = 0;
    pri_set_message(quiet);
    pri_set_error(error);

    struct end *all[4 * MAX_SPANS];
    int n = 0;
    for (int s = 0; s < in_spans; s++) {
        if (open_pair(CALLER, IN, s)) return 1;
        all[n++] = peer_end(CALLER, s), all[n++] = peer_end(IN, s);
    }
    for (int s = 0; s < out_spans; s++) {
        if (open_pair(OUT, AGENT, s)) return 1;
        all[n++] = peer_end(OUT, s), all[n++] = peer_end(AGENT, s);
    }
    int calls = 4 * in_flight + 64;
    pool = calloc(calls, sizeof *pool);
    for (int i = calls - 1; i >= 0; i--) pool[i].next_free = free_calls, free_calls = &pool[i];
    slot_busy = calloc(in_flight, sizeof *slot_busy);
    caplat = 4000000;
    latencies = malloc(caplat * sizeof *latencies);

    struct pollfd fds[4 * MAX_SPANS];
    for (int i = 0; i < n; i++) fds[i].fd = all[i]->fd, fds[i].events = POLLIN;
    double start = now(), up_at = 0, t0 = 0, cpu0 = 0, stop_at = 0, end = 0;
    for (;;) {
        int timeout = 100;
        for (int i = 0; i < n; i++) {
            struct timeval *next = pri_schedule_next(all[i]->pri);
            if (!next) continue;
            struct timeval tv;
            gettimeofday(&tv, NULL);
            int ms = (int) ((next->tv_sec - tv.tv_sec) * 1000 + (next->tv_usec - tv.tv_usec) / 1000);
            if (ms < timeout) timeout = ms < 0 ? 0 : ms;
        }
        if (poll(fds, n, timeout) < 0) { perror("poll"); return 1; }
        pri_event *e;
        for (int i = 0; i < n; i++)
            if (fds[i].revents & POLLIN && (e = pri_check_event(all[i]->pri))) handle(all[i], e);
        for (int i = 0; i < n; i++)
            while ((e = pri_schedule_run(all[i]->pri))) handle(all[i], e);

        double t = now();
        if (!up_at) {
            int up = 1;
            for (int i = 0; i < n; i++) up &= all[i]->up;
            if (up) up_at = t;
            else if (t - start > 10) { fprintf(stderr, "sigfloor: D-channels not up\n"); return 1; }
            continue;
        }
        if (!running && !stop_at && t - up_at >= 0.5) running = 1; /* settled (FACTS: cause 101 right after DCHAN_UP) */
        if (running && !measuring && t - up_at >= 1.5) { measuring = 1; t0 = t; cpu0 = cpu(); }
        if (measuring && running && t - t0 >= seconds) { running = 0; stop_at = t; }
        if (running)
            for (int s = 0; s < in_flight; s++)
                if (!slot_busy[s]) place(s);
        if (stop_at && (!active || t - stop_at > 10)) { end = t; break; }
    }
    double used = cpu() - cpu0, wall = end - t0;
    qsort(latencies, nlat, sizeof *latencies, cmp);
    double p50 = nlat ? latencies[nlat / 2] : 0, p99 = nlat ? latencies[(long) (nlat * 0.99)] : 0;
    printf("%d %d %d %d %ld %ld %.3f %.3f %.1f %.1f\n", legs, in_spans, out_spans, in_flight, completed, failed, wall, used,
           p50 * 1e6, p99 * 1e6);
    return 0;
}
