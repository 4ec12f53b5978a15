"""The user C library's memcmp, memset and memcpy (word compares and stores,
os/lib/libc/string.c) give what byte loops give: ktest's `libc` scenario
checks every length to 40 bytes at every alignment of both buffers, with
the first difference at every place, and that memset touches exactly its
bytes."""

from tests.kernel_image import assert_passed, image


def test_memcmp_and_memset_agree_with_byte_loops(boot_os):
    r = boot_os(image("libc"))
    assert_passed(r, "libc")
