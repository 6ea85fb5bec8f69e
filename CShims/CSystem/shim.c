// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include "CSystem.h"

int CSystem_fallocate_keep_size(int fd, off_t offset, off_t length) {
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length);
}

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

int CSystem_crypt(const char *phrase, const char *setting, char *out, int outlen) {
    struct crypt_data *data = calloc(1, sizeof(struct crypt_data));
    if (!data) return -1;
    const char *h = crypt_rn(phrase, setting, data, sizeof(struct crypt_data));
    int rc = -1;
    if (h && h[0] != '*' && (int)strlen(h) < outlen) {
        strcpy(out, h);
        rc = 0;
    }
    explicit_bzero(data, sizeof(struct crypt_data));
    free(data);
    return rc;
}

int CSystem_crypt_gensalt(const char *prefix, char *out, int outlen) {
    return crypt_gensalt_rn(prefix, 0, NULL, 0, out, outlen) ? 0 : -1;
}
