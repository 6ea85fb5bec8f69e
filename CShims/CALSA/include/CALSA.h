// CALSA — thin shim over alsa-lib (Debian libasound2-dev). Covers what Swift
// cannot call: the variadic error handler and the alloca-based hw_params macros.
// SPDX-License-Identifier: GPL-2.0-or-later
#ifndef CALSA_H
#define CALSA_H
#include <alsa/asoundlib.h>

typedef void (*CALSA_error_fn)(const char *file, int line, const char *function, int err, const char *text);

/// Installs a process-wide alsa-lib error handler that formats the message in C.
void CALSA_set_error_handler(CALSA_error_fn fn);

/// Opens `device` for playback (S16_LE or MU_LAW, mono/stereo, 8 kHz) with a
/// private configuration string (may be NULL). Returns 0 or a negative errno.
int CALSA_open_playback(snd_pcm_t **pcm, const char *device, const char *config_text,
                        snd_pcm_format_t format, unsigned channels, unsigned rate,
                        snd_pcm_uframes_t period_frames);
/// Parses a private alsa-lib configuration text: 0 when it parses (and,
/// when `device` is a plain name, defines `pcm.<device>`), 1 when it parses
/// but does not define the device, or a negative errno from the parser.
int CALSA_check_config(const char *config_text, const char *device);
#endif
