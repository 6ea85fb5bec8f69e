/* The floor for `make bench`: the same per-tick work as Dialtone's media
 * engine in a minimal C loop — each call's two channels exchange a frame
 * (memcpy), both run SpanDSP's DTMF receiver, and the call's two frames are
 * appended to its recording file (write). Prints process CPU per tick.
 * Usage: floor CHANNELS TICKS DIRECTORY
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <spandsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define FRAME 160

static double cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static void on_digits(void *user, const char *digits, int len) { (void) digits; *(long *) user += len; }

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: floor CHANNELS TICKS DIRECTORY\n"); return 2; }
    int channels = atoi(argv[1]) & ~1, ticks = atoi(argv[2]), calls = channels / 2;
    if (channels < 2 || channels > 100000 || ticks < 1) { fprintf(stderr, "floor: bad CHANNELS or TICKS\n"); return 2; }
    /* One second of DTMF (A-law), the audio every channel sends. */
    uint8_t sound[8000];
    int16_t pcm[8000];
    dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
    dtmf_tx_set_level(tx, -15, 2);
    dtmf_tx_put(tx, "0123456789", 10);
    int n = dtmf_tx(tx, pcm, 8000);
    for (int i = 0; i < 8000; i++) sound[i] = linear_to_alaw(i < n ? pcm[i] : 0);
    int16_t alaw[256];
    for (int i = 0; i < 256; i++) alaw[i] = alaw_to_linear((uint8_t) i);

    dtmf_rx_state_t **rx = calloc(channels, sizeof *rx);
    long digits = 0;
    for (int c = 0; c < channels; c++) {
        rx[c] = dtmf_rx_init(NULL, on_digits, &digits);
        dtmf_rx_parms(rx[c], 0, 9, 6, -99);
    }
    int *fd = calloc(calls, sizeof *fd);
    char path[4096];
    for (int k = 0; k < calls; k++) {
        snprintf(path, sizeof path, "%s/floor-%d.raw", argv[3], k);
        fd[k] = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
        if (fd[k] < 0) { perror(path); return 1; }
    }
    uint8_t *out = malloc((size_t) channels * FRAME), rec[2 * FRAME], in[FRAME];
    int16_t lin[FRAME];
    /* 10 ticks unmeasured first, as the Swift side applies its commands in 10 steps before measuring. */
    double t0 = cpu();
    for (int t = -10; t < ticks; t++) {
        if (t == 0) t0 = cpu();
        for (int k = 0; k < calls; k++) {
            for (int side = 0; side < 2; side++) {
                int c = 2 * k + side, frames = 8000 / FRAME;
                memcpy(in, sound + ((t + 10 + c * 7) % frames) * FRAME, FRAME);         /* read from the line */
                for (int i = 0; i < FRAME; i++) lin[i] = alaw[in[i]];
                dtmf_rx(rx[c], lin, FRAME);                                          /* detect */
                memcpy(out + (size_t) (c ^ 1) * FRAME, in, FRAME);                  /* bridge */
                for (int i = 0; i < FRAME; i++) rec[2 * i + side] = in[i];          /* recording tap */
            }
            if (write(fd[k], rec, sizeof rec) != (ssize_t) sizeof rec) { perror("write"); return 1; }
        }
    }
    double used = cpu() - t0;
    printf("%d %d %.3f %ld\n", channels, ticks, used * 1e6 / ticks, digits);
    for (int k = 0; k < calls; k++) close(fd[k]);
    return 0;
}
