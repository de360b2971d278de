/*
 * test_sha256.c - tracker/sha256 against the FIPS 180-4 / NIST example vectors,
 * and chunked updates against the one-shot digest.
 */
#include "tests/check.h"
#include "tracker/sha256.h"

int main(void)
{
    static const struct { const char *msg; const char *hex; } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
         "klmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    char hex[65];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        trk_sha256_hex(v[i].msg, strlen(v[i].msg), hex);
        CHECK_MSG(strcmp(hex, v[i].hex) == 0, "vector %zu: got %s want %s", i, hex, v[i].hex);
    }
    /* One million 'a', fed in uneven chunks. */
    static char a[1000000];
    memset(a, 'a', sizeof a);
    trk_sha256 s;
    uint8_t d[32];
    trk_sha256_init(&s);
    size_t off = 0, chunk = 1;
    while (off < sizeof a) {
        size_t n = chunk < sizeof a - off ? chunk : sizeof a - off;
        trk_sha256_update(&s, a + off, n);
        off += n;
        chunk = chunk * 3 % 997 + 1;
    }
    trk_sha256_final(&s, d);
    trk_sha256_to_hex(d, hex);
    CHECK_STR_CONTAINS(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* Every length around the padding boundaries: chunked == one-shot. */
    for (size_t len = 0; len < 200; len++) {
        char one[65], two[65];
        trk_sha256_hex(a, len, one);
        trk_sha256_init(&s);
        for (size_t k = 0; k < len; k++)
            trk_sha256_update(&s, a + k, 1);
        trk_sha256_final(&s, d);
        trk_sha256_to_hex(d, two);
        CHECK_MSG(strcmp(one, two) == 0, "length %zu: chunked digest differs", len);
    }
    return check_done();
}
