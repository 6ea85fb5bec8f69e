// The fax floor for `dialtone bench`: bare SpanDSP doing the T.30 exchange
// the daemon's fax stage does — one terminal sending DOC (calling), one
// receiving (answering), ECM on, V.17/V.29/V.27ter, T.4 1-D/2-D and T.6,
// identities and a page header on the sender — exchanging 160-sample blocks
// through G.711 A-law (SpanDSP's conversion, tabulated) back to back (not
// real time), in one thread.
// Usage: faxfloor DOC OUTDIR ROUNDS. Prints per round:
//   pages thread_cpu_seconds line_seconds completion_code
// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tiffio.h>
#include <spandsp.h>

typedef struct { int done; int code; } outcome_t;

static void phase_e(t30_state_t *s, void *user, int code) {
    outcome_t *o = user;
    o->done = 1;
    o->code = code;
}

static fax_state_t *terminal(int calling, const char *tx, const char *rx, const char *ident, const char *header, outcome_t *o) {
    fax_state_t *f = fax_init(NULL, calling);
    t30_state_t *t = fax_get_t30_state(f);
    fax_set_transmit_on_idle(f, 1);
    t30_set_tx_ident(t, ident);
    if (header) t30_set_tx_page_header_info(t, header);
    t30_set_ecm_capability(t, 1);
    t30_set_supported_modems(t, T30_SUPPORT_V27TER | T30_SUPPORT_V29 | T30_SUPPORT_V17);
    t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION | T30_SUPPORT_T6_COMPRESSION);
    if (tx) t30_set_tx_file(t, tx, -1, -1);
    if (rx) t30_set_rx_file(t, rx, -1);
    t30_set_phase_e_handler(t, phase_e, o);
    return f;
}

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/// SpanDSP's A-law conversion tabulated once (as the daemon's G711Tables are):
/// one frame through the line is linear → A-law → linear, two loads a sample.
static uint8_t to_alaw[65536];
static int16_t from_alaw[256];

static void tables(void) {
    for (int i = 0; i < 65536; i++) to_alaw[i] = linear_to_alaw((int16_t)(uint16_t)i);
    for (int i = 0; i < 256; i++) from_alaw[i] = alaw_to_linear((uint8_t)i);
}

static void line(int16_t *s, int n) {
    for (int k = 0; k < n; k++) s[k] = from_alaw[to_alaw[(uint16_t)s[k]]];
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: faxfloor DOC OUTDIR ROUNDS\n"); return 2; }
    TIFFSetWarningHandler(NULL);
    tables();
    int rounds = atoi(argv[3]);
    char rx[4096];
    for (int r = 0; r < rounds; r++) {
        snprintf(rx, sizeof rx, "%s/floor-%d.tif", argv[2], r);
        outcome_t a = {0, 0}, b = {0, 0};
        fax_state_t *sender = terminal(1, argv[1], NULL, "+44 1632 960000", "Dialtone bench", &a);
        fax_state_t *receiver = terminal(0, NULL, rx, "1632 960001", NULL, &b);
        int16_t ab[160], ba[160];
        long frames = 0;
        double start = thread_cpu();
        while ((!a.done || !b.done) && frames < 50L * 600) {
            // A terminal past phase E is let go (as the daemon's fax stage hands its session back): silence.
            if (a.done) memset(ab, 0, sizeof ab); else fax_tx(sender, ab, 160);
            if (b.done) memset(ba, 0, sizeof ba); else fax_tx(receiver, ba, 160);
            line(ab, 160);
            line(ba, 160);
            if (!b.done) fax_rx(receiver, ab, 160);
            if (!a.done) fax_rx(sender, ba, 160);
            frames++;
        }
        double cpu = thread_cpu() - start;
        t30_stats_t stats;
        t30_get_transfer_statistics(fax_get_t30_state(receiver), &stats);
        fax_free(sender);
        fax_free(receiver);
        printf("%d %.6f %.2f %d\n", stats.pages_rx, cpu, frames / 50.0, b.code);
        fflush(stdout);
    }
    return 0;
}
