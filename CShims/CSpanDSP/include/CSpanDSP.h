// CSpanDSP — thin shim over SpanDSP 0.0.6 (Debian libspandsp-dev) + libtiff.
// SPDX-License-Identifier: GPL-2.0-or-later
#ifndef CSPANDSP_H
#define CSPANDSP_H
#include <stdint.h>
#include <tiffio.h>
#include <spandsp.h>

/// Routes a SpanDSP logging_state_t's messages (0.0.6 handlers carry no user data).
void CSpanDSP_route_log(logging_state_t *log, int level, message_handler_func_t fn);

/// G.711 helpers (static inline in g711.h) exported as functions for table building.
uint8_t CSpanDSP_linear_to_ulaw(int16_t linear);
int16_t CSpanDSP_ulaw_to_linear(uint8_t ulaw);
uint8_t CSpanDSP_linear_to_alaw(int16_t linear);
int16_t CSpanDSP_alaw_to_linear(uint8_t alaw);
/// Sizes of SpanDSP state structs (opaque in the headers), so a caller can
/// preallocate them and initialise in place (no allocation per call).
size_t CSpanDSP_dtmf_rx_state_size(void);
size_t CSpanDSP_tone_gen_state_size(void);
size_t CSpanDSP_tone_gen_descriptor_size(void);
/// libtiff's TIFFGetField/TIFFSetField are variadic (not callable from Swift): typed wrappers.
int CSpanDSP_tiff_get_u32(TIFF *tif, uint32_t tag, uint32_t *value);
int CSpanDSP_tiff_get_u16(TIFF *tif, uint32_t tag, uint16_t *value);
int CSpanDSP_tiff_get_float(TIFF *tif, uint32_t tag, float *value);
int CSpanDSP_tiff_set_u32(TIFF *tif, uint32_t tag, uint32_t value);
int CSpanDSP_tiff_set_u16(TIFF *tif, uint32_t tag, uint16_t value);
int CSpanDSP_tiff_set_float(TIFF *tif, uint32_t tag, float value);
/// Silences libtiff's warning and error handlers (variadic; errors are reported by return codes).
void CSpanDSP_tiff_quiet(void);
/// Size of SpanDSP's modem connect tones receiver (opaque), for preallocation.
size_t CSpanDSP_modem_connect_tones_rx_state_size(void);
/// Sets tone `index` (0–3) of a descriptor made by tone_gen_descriptor_init
/// to `hz` (tone_gen_descriptor_init takes whole hertz; test signals need
/// fractions, e.g. 697 Hz + 1.5 %): the phase rate SpanDSP's own dds gives.
void CSpanDSP_tone_gen_descriptor_set_frequency(tone_gen_descriptor_t *s, int index, float hz);
#endif
