// SPDX-License-Identifier: GPL-2.0-or-later
// Linux system calls that Glibc's Swift module does not expose (they need _GNU_SOURCE).
#ifndef CSYSTEM_H
#define CSYSTEM_H
#include <sys/types.h>

/// fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length): reserves blocks past
/// the end without changing the file's size. Returns 0 or -1 with errno.
int CSystem_fallocate_keep_size(int fd, off_t offset, off_t length);

/// crypt(3) (libxcrypt `crypt_rn`): the hash of `phrase` with `setting`
/// (a fresh salt, or a stored hash to verify against) into `out`. 0 or -1.
int CSystem_crypt(const char *phrase, const char *setting, char *out, int outlen);

/// A new setting (random salt) for `prefix` (`$6$`: SHA-512, `$y$`: yescrypt) into `out`. 0 or -1.
int CSystem_crypt_gensalt(const char *prefix, char *out, int outlen);

#endif
