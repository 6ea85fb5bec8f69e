// SPDX-License-Identifier: GPL-2.0-or-later
// Linux system calls that Glibc's Swift module does not expose (they need _GNU_SOURCE).
#ifndef CSYSTEM_H
#define CSYSTEM_H
#include <sys/types.h>

/// fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length): reserves blocks past
/// the end without changing the file's size. Returns 0 or -1 with errno.
int CSystem_fallocate_keep_size(int fd, off_t offset, off_t length);

#endif
