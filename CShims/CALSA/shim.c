// SPDX-License-Identifier: GPL-2.0-or-later
#include "CALSA.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static CALSA_error_fn error_fn;

static void handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (error_fn) error_fn(file, line, function, err, text);
}

void CALSA_set_error_handler(CALSA_error_fn fn) {
    error_fn = fn;
    snd_lib_error_set_handler(fn ? handler : NULL);
}

int CALSA_open_playback(snd_pcm_t **pcm, const char *device, const char *config_text,
                        snd_pcm_format_t format, unsigned channels, unsigned rate,
                        snd_pcm_uframes_t period_frames) {
    int err;
    if (config_text) {
        snd_config_t *top = NULL;
        snd_input_t *in = NULL;
        if ((err = snd_config_top(&top)) < 0) return err;
        if ((err = snd_input_buffer_open(&in, config_text, -1)) < 0) { snd_config_delete(top); return err; }
        err = snd_config_load(top, in);
        snd_input_close(in);
        if (err < 0) { snd_config_delete(top); return err; }
        err = snd_pcm_open_lconf(pcm, device, SND_PCM_STREAM_PLAYBACK, 0, top);
        snd_config_delete(top);
    } else {
        err = snd_pcm_open(pcm, device, SND_PCM_STREAM_PLAYBACK, 0);
    }
    if (err < 0) return err;
    snd_pcm_hw_params_t *hw;
    snd_pcm_hw_params_alloca(&hw);
    if ((err = snd_pcm_hw_params_any(*pcm, hw)) < 0) goto fail;
    if ((err = snd_pcm_hw_params_set_access(*pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0) goto fail;
    if ((err = snd_pcm_hw_params_set_format(*pcm, hw, format)) < 0) goto fail;
    if ((err = snd_pcm_hw_params_set_channels(*pcm, hw, channels)) < 0) goto fail;
    if ((err = snd_pcm_hw_params_set_rate(*pcm, hw, rate, 0)) < 0) goto fail;
    if ((err = snd_pcm_hw_params_set_period_size_near(*pcm, hw, &period_frames, 0)) < 0) goto fail;
    if ((err = snd_pcm_hw_params(*pcm, hw)) < 0) goto fail;
    return 0;
fail:
    snd_pcm_close(*pcm);
    *pcm = NULL;
    return err;
}

int CALSA_check_config(const char *config_text, const char *device) {
    snd_config_t *top = NULL, *node = NULL;
    snd_input_t *in = NULL;
    int err;
    if ((err = snd_config_top(&top)) < 0) return err;
    if ((err = snd_input_buffer_open(&in, config_text, -1)) < 0) { snd_config_delete(top); return err; }
    err = snd_config_load(top, in);
    snd_input_close(in);
    if (err >= 0 && device && device[0] && !strchr(device, ':')) {
        char key[256];
        snprintf(key, sizeof key, "pcm.%s", device);
        if (snd_config_search(top, key, &node) < 0) err = 1;  /* parsed, but the device is not defined */
    }
    snd_config_delete(top);
    return err;
}
