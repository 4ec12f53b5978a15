/* inserted_function.h - an unrelated edit, for tests/test_site_names.py: a
 * build with -include of this file has one more function at the top of
 * every C file, so every later function moves to another address while its
 * own code stays as it was. Never part of a normal build. */
static int __attribute__((used, noinline)) fi_test_inserted(int x)
{
    int y = 0;
    for (int i = 0; i < x; i++) y += i & 1 ? i : -i;
    return y;
}
