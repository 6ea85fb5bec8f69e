// SPDX-License-Identifier: GPL-2.0-or-later
#include "CDAHDI.h"
#include <errno.h>
#include <sys/ioctl.h>

int CDAHDI_ioctl(int fd, unsigned long request, void *argument) { return ioctl(fd, request, argument); }


const unsigned long CDAHDI_IOC_SPECIFY = DAHDI_SPECIFY;
const unsigned long CDAHDI_IOC_SET_BLOCKSIZE = DAHDI_SET_BLOCKSIZE;
const unsigned long CDAHDI_IOC_GET_BLOCKSIZE = DAHDI_GET_BLOCKSIZE;
const unsigned long CDAHDI_IOC_GET_PARAMS = DAHDI_GET_PARAMS;
const unsigned long CDAHDI_IOC_SET_PARAMS = DAHDI_SET_PARAMS;
const unsigned long CDAHDI_IOC_SET_BUFINFO = DAHDI_SET_BUFINFO;
const unsigned long CDAHDI_IOC_GET_BUFINFO = DAHDI_GET_BUFINFO;
const unsigned long CDAHDI_IOC_SPANSTAT = DAHDI_SPANSTAT;
const unsigned long CDAHDI_IOC_GETEVENT = DAHDI_GETEVENT;
const unsigned long CDAHDI_IOC_MAINT = DAHDI_MAINT;
const unsigned long CDAHDI_IOC_SETLAW = DAHDI_SETLAW;
const unsigned long CDAHDI_IOC_AUDIOMODE = DAHDI_AUDIOMODE;
const unsigned long CDAHDI_IOC_HDLCFCSMODE = DAHDI_HDLCFCSMODE;
const unsigned long CDAHDI_IOC_FLUSH = DAHDI_FLUSH;
const unsigned long CDAHDI_IOC_GET_VERSION = DAHDI_GETVERSION;
const unsigned long CDAHDI_IOC_TIMERCONFIG = DAHDI_TIMERCONFIG;
const unsigned long CDAHDI_IOC_TIMERACK = DAHDI_TIMERACK;
const int CDAHDI_ELAST = ELAST;
const int CDAHDI_SIG_HDLCFCS = DAHDI_SIG_HDLCFCS;
const int CDAHDI_SIG_HARDHDLC = DAHDI_SIG_HARDHDLC;
const int CDAHDI_SIG_CLEAR = DAHDI_SIG_CLEAR;

_Static_assert(sizeof(struct dahdi_bufferinfo) == 6 * sizeof(int), "dahdi_bufferinfo layout");
_Static_assert(sizeof(struct dahdi_maintinfo) == 2 * sizeof(int), "dahdi_maintinfo layout");
