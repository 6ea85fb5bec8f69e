// CDAHDI — thin shim over the DAHDI kernel interface (dahdi/user.h from
// Debian's dahdi-dkms; `make deps` extracts it). No logic: ioctl request
// numbers, which Swift cannot import from the _IO* macros, as constants.
// SPDX-License-Identifier: GPL-2.0-or-later
#ifndef CDAHDI_H
#define CDAHDI_H
#include <stddef.h>
#include <dahdi/user.h>

extern const unsigned long CDAHDI_IOC_SPECIFY;
extern const unsigned long CDAHDI_IOC_SET_BLOCKSIZE;
extern const unsigned long CDAHDI_IOC_GET_BLOCKSIZE;
extern const unsigned long CDAHDI_IOC_GET_PARAMS;
extern const unsigned long CDAHDI_IOC_SET_PARAMS;
extern const unsigned long CDAHDI_IOC_SET_BUFINFO;
extern const unsigned long CDAHDI_IOC_GET_BUFINFO;
extern const unsigned long CDAHDI_IOC_SPANSTAT;
extern const unsigned long CDAHDI_IOC_GETEVENT;
extern const unsigned long CDAHDI_IOC_MAINT;
extern const unsigned long CDAHDI_IOC_SETLAW;
extern const unsigned long CDAHDI_IOC_AUDIOMODE;
extern const unsigned long CDAHDI_IOC_HDLCFCSMODE;
extern const unsigned long CDAHDI_IOC_FLUSH;
extern const unsigned long CDAHDI_IOC_GET_VERSION;
extern const unsigned long CDAHDI_IOC_TIMERCONFIG;
extern const unsigned long CDAHDI_IOC_TIMERACK;
extern const int CDAHDI_ELAST;
extern const int CDAHDI_SIG_HDLCFCS;   /* composite macros Swift cannot import */
extern const int CDAHDI_SIG_HARDHDLC;
extern const int CDAHDI_SIG_CLEAR;

/// ioctl(2) is variadic; Swift calls it through this.
int CDAHDI_ioctl(int fd, unsigned long request, void *argument);
#endif
