// CPRI — thin shim over libpri (Debian libpri-dev, 1.6.0). No logic.
// SPDX-License-Identifier: GPL-2.0-or-later
#ifndef CPRI_H
#define CPRI_H
#include <libpri.h>

/// One libpri event flattened into fixed, small fields (Swift copies the
/// 3 KB pri_event union otherwise; see FACTS.md "Swift interop").
typedef struct CPRI_event {
    int type;            // PRI_EVENT_*
    int channel;         // raw channel word (PRI_CHANNEL/PRI_SPAN/PRI_EXPLICIT encoded)
    int cause;           // Q.850 cause (hangup, hangup_req, proceeding)
    int cref;            // call reference
    q931_call *call;     // opaque call handle (NULL for link events)
    int callingpres;     // presentation indicator + screening
    int callingplan;     // type of number + numbering plan of the calling number
    int calledplan;
    int ctype;           // bearer: information transfer capability (PRI_TRANS_CAP_*)
    int layer1;          // bearer: user layer 1 (PRI_LAYER_1_ULAW/ALAW)
    int complete;        // sending complete / no more digits
    int flexible;        // channel preferred (1) or exclusive (0)
    int progressmask;
    char callingnum[64];
    char callingname[64];
    char callednum[64];
    char digits[64];     // keypad or information digits (new digits only)
    char text[128];      // error / config error text
} CPRI_event;

/// Copies the fields of `e` that Dialtone uses into `out` (zeroing the rest).
void CPRI_flatten(const pri_event *e, CPRI_event *out);

/// libpri's message and error hooks are process-wide: install both with one call.
typedef void (*CPRI_log_fn)(struct pri *pri, char *text);
void CPRI_set_log_handlers(CPRI_log_fn message, CPRI_log_fn error);

/// Places an outgoing call with a flat argument list (pri_sr_* in one place).
int CPRI_setup(struct pri *pri, q931_call *call, int channel, int exclusive,
               int transmode, int layer1,
               const char *caller, int callerplan, int callerpres, const char *callername,
               const char *called, int calledplan, int complete);
#endif
