// SPDX-License-Identifier: GPL-2.0-or-later
#include "CPRI.h"
#include <string.h>
#include <stdio.h>

static void copy(char *dst, size_t n, const char *src) {
    snprintf(dst, n, "%s", src ? src : "");
}

void CPRI_flatten(const pri_event *e, CPRI_event *out) {
    memset(out, 0, sizeof(*out));
    out->type = e->e;
    switch (e->e) {
    case PRI_EVENT_RING:
        out->channel = e->ring.channel;
        out->cref = e->ring.cref;
        out->call = e->ring.call;
        out->callingpres = e->ring.callingpres;
        out->callingplan = e->ring.callingplan;
        out->calledplan = e->ring.calledplan;
        out->ctype = e->ring.ctype;
        out->layer1 = e->ring.layer1;
        out->complete = e->ring.complete;
        out->flexible = e->ring.flexible;
        out->progressmask = e->ring.progressmask;
        copy(out->callingnum, sizeof out->callingnum, e->ring.callingnum);
        copy(out->callingname, sizeof out->callingname, e->ring.callingname);
        copy(out->callednum, sizeof out->callednum, e->ring.callednum);
        copy(out->digits, sizeof out->digits, e->ring.keypad_digits);
        break;
    case PRI_EVENT_HANGUP:
    case PRI_EVENT_HANGUP_REQ:
    case PRI_EVENT_HANGUP_ACK:
        out->channel = e->hangup.channel;
        out->cause = e->hangup.cause;
        out->cref = e->hangup.cref;
        out->call = e->hangup.call;
        break;
    case PRI_EVENT_RINGING:
        out->channel = e->ringing.channel;
        out->cref = e->ringing.cref;
        out->call = e->ringing.call;
        out->progressmask = e->ringing.progressmask;
        break;
    case PRI_EVENT_ANSWER:
        out->channel = e->answer.channel;
        out->cref = e->answer.cref;
        out->call = e->answer.call;
        out->progressmask = e->answer.progressmask;
        break;
    case PRI_EVENT_PROCEEDING:
    case PRI_EVENT_PROGRESS:
        out->channel = e->proceeding.channel;
        out->cref = e->proceeding.cref;
        out->call = e->proceeding.call;
        out->cause = e->proceeding.cause;
        out->progressmask = e->proceeding.progressmask;
        break;
    case PRI_EVENT_SETUP_ACK:
        out->channel = e->setup_ack.channel;
        out->call = e->setup_ack.call;
        out->progressmask = e->setup_ack.progressmask;
        break;
    case PRI_EVENT_INFO_RECEIVED:
        out->channel = e->ring.channel;
        out->cref = e->ring.cref;
        out->call = e->ring.call;
        out->complete = e->ring.complete;
        copy(out->digits, sizeof out->digits, e->ring.callednum);
        break;
    case PRI_EVENT_KEYPAD_DIGIT:
        out->channel = e->digit.channel;
        out->call = e->digit.call;
        copy(out->digits, sizeof out->digits, e->digit.digits);
        break;
    case PRI_EVENT_RESTART:
    case PRI_EVENT_RESTART_ACK:
        out->channel = e->restart.channel;
        break;
    case PRI_EVENT_CONFIG_ERR:
        copy(out->text, sizeof out->text, e->err.err);
        break;
    case PRI_EVENT_CONNECT_ACK:
        out->channel = e->connect_ack.channel;
        out->call = e->connect_ack.call;
        break;
    default:
        break;
    }
}

void CPRI_set_log_handlers(CPRI_log_fn message, CPRI_log_fn error) {
    pri_set_message(message);
    pri_set_error(error);
}

int CPRI_setup(struct pri *pri, q931_call *call, int channel, int exclusive,
               int transmode, int layer1,
               const char *caller, int callerplan, int callerpres, const char *callername,
               const char *called, int calledplan, int complete) {
    struct pri_sr *sr = pri_sr_new();
    if (!sr) return -1;
    pri_sr_set_channel(sr, channel, exclusive, 0);
    pri_sr_set_bearer(sr, transmode, layer1);
    pri_sr_set_called(sr, (char *)called, calledplan, complete);
    pri_sr_set_caller(sr, (char *)caller, (char *)(callername && *callername ? callername : NULL),
                      callerplan, callerpres);
    int res = pri_setup(pri, call, sr);
    pri_sr_free(sr);
    return res;
}
