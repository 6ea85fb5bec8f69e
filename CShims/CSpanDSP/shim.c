// SPDX-License-Identifier: GPL-2.0-or-later
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>
#include "CSpanDSP.h"

void CSpanDSP_route_log(logging_state_t *log, int level, message_handler_func_t fn) {
    span_log_set_level(log, level);
    span_log_set_message_handler(log, fn);
}

uint8_t CSpanDSP_linear_to_ulaw(int16_t linear) { return linear_to_ulaw(linear); }
int16_t CSpanDSP_ulaw_to_linear(uint8_t ulaw) { return ulaw_to_linear(ulaw); }
uint8_t CSpanDSP_linear_to_alaw(int16_t linear) { return linear_to_alaw(linear); }
int16_t CSpanDSP_alaw_to_linear(uint8_t alaw) { return alaw_to_linear(alaw); }

size_t CSpanDSP_dtmf_rx_state_size(void) { return sizeof(dtmf_rx_state_t); }
size_t CSpanDSP_tone_gen_state_size(void) { return sizeof(tone_gen_state_t); }
size_t CSpanDSP_tone_gen_descriptor_size(void) { return sizeof(tone_gen_descriptor_t); }

int CSpanDSP_tiff_get_u32(TIFF *tif, uint32_t tag, uint32_t *value) { return TIFFGetField(tif, tag, value); }
int CSpanDSP_tiff_get_u16(TIFF *tif, uint32_t tag, uint16_t *value) { return TIFFGetField(tif, tag, value); }
int CSpanDSP_tiff_get_float(TIFF *tif, uint32_t tag, float *value) { return TIFFGetField(tif, tag, value); }
int CSpanDSP_tiff_set_u32(TIFF *tif, uint32_t tag, uint32_t value) { return TIFFSetField(tif, tag, value); }
int CSpanDSP_tiff_set_u16(TIFF *tif, uint32_t tag, uint16_t value) { return TIFFSetField(tif, tag, (int)value); }
int CSpanDSP_tiff_set_float(TIFF *tif, uint32_t tag, float value) { return TIFFSetField(tif, tag, (double)value); }
void CSpanDSP_tiff_quiet(void) { TIFFSetWarningHandler(NULL); TIFFSetErrorHandler(NULL); }
size_t CSpanDSP_modem_connect_tones_rx_state_size(void) { return sizeof(modem_connect_tones_rx_state_t); }
void CSpanDSP_tone_gen_descriptor_set_frequency(tone_gen_descriptor_t *s, int index, float hz) {
    s->tone[index].phase_rate = dds_phase_ratef(hz);
}
