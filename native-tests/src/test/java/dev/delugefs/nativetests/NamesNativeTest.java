package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Names the kernel accepts but a naive store would mangle: Git's own names, our encoding's escape
 * character and directory marker, control bytes, non-UTF-8 bytes, maximum length, leading dots.
 * Each must round-trip through the mount and through a restart (i.e. through the Git namespace).
 */
class NamesNativeTest extends MountedTest {

    /** Python: NAMES are files at the root; DIRS are directories under dirs/, each holding INNER. */
    private static final String NAMES = """
            NAMES = [b'.git', b'%', b'%dir', b'%25', b'%2e', b'%%', b'new\\nline', b'\\r', b'x' * 255,
                     b'\\xc3\\xa9' * 127 + b'x', b'\\xff\\xfe', b'\\x80', b'\\x01ctrl\\x1f', b'tab\\there',
                     b'trailing space ', b' leading space', b'.hidden', b'..foo', b'...', b'. ', b'..%',
                     b'Case', b'case', b'back\\\\slash', b'colon:name', b'*?<>|"', b'\\xe2\\x80\\x8b',
                     b'\\xe6\\x97\\xa5\\xe6\\x9c\\xac', b'HEAD', b'refs', b'objects', b'.gitignore',
                     b'.gitmodules', b'-dash', b'~tilde', b'#hash', b'a.b.c.', b'ends-with-dot.']
            DIRS = [b'.git', b'%dir', b'%', b'\\xff', b'.d', b'new\\nline-dir', b'y' * 255]
            INNER = [b'.git', b'%dir', b'%', b'HEAD', b'\\xfe\\xff']

            def content(name):
                return b'content of ' + name + b'\\n' + hashlib.sha256(name).digest() * 3

            def create(m):
                for n in NAMES:
                    with open(m + b'/' + n, 'wb') as f:
                        f.write(content(n))
                os.mkdir(m + b'/dirs')
                for d in DIRS:
                    os.mkdir(m + b'/dirs/' + d)
                    for n in INNER:
                        with open(m + b'/dirs/' + d + b'/' + n, 'wb') as f:
                            f.write(content(d + b'/' + n))
                os.symlink(b'\\xff\\xfe/%dir/.git', m + b'/link\\xff')
                os.setxattr(m + b'/%dir', b'user.%dir', b'\\xff\\x00')
                open(m + b'/\\xfe-renamed', 'wb').close()
                os.rename(m + b'/\\xfe-renamed', m + b'/renamed-\\xfe')
                os.rename(m + b'/dirs/.d', m + b'/dirs/.d\\n%dir')

            def verify(m):
                root = set(os.listdir(m))
                expected = set(NAMES) | {b'dirs', b'link\\xff', b'renamed-\\xfe'}
                assert root == expected, ('root listing', sorted(root ^ expected))
                for n in NAMES:
                    with open(m + b'/' + n, 'rb') as f:
                        assert f.read() == content(n), ('content', n)
                dirs = set(os.listdir(m + b'/dirs'))
                moved = [b'.d\\n%dir' if d == b'.d' else d for d in DIRS]
                assert dirs == set(moved), ('dirs listing', sorted(dirs ^ set(moved)))
                for d, name in zip(DIRS, moved):
                    inner = set(os.listdir(m + b'/dirs/' + name))
                    assert inner == set(INNER), ('inner listing', d, sorted(inner))
                    for n in INNER:
                        with open(m + b'/dirs/' + name + b'/' + n, 'rb') as f:
                            assert f.read() == content(d + b'/' + n), ('content', d, n)
                assert os.readlink(m + b'/link\\xff') == b'\\xff\\xfe/%dir/.git', 'symlink target'
                assert os.getxattr(m + b'/%dir', b'user.%dir') == b'\\xff\\x00', 'xattr'
                assert os.path.getsize(m + b'/renamed-\\xfe') == 0
            """;

    @Test
    void oddNamesRoundTripAndSurviveRestart() {
        Py.run(NAMES + "create(p[0])\nverify(p[0])\n", Py.bytes(mnt));
        assertThat(mnt.resolve("%dir")).isRegularFile();
        assertThat(mnt.resolve("dirs/%dir")).isDirectory();

        node.restart();
        Py.run(NAMES + "verify(p[0])\n", Py.bytes(mnt));
        assertThat(mnt.resolve(".git")).isRegularFile();
        assertThat(mnt.resolve("dirs/.git")).isDirectory();
    }

    @Test
    void oddNamesSurviveACrash() {
        Py.run(NAMES + "create(p[0])\n", Py.bytes(mnt));
        node.kill9();
        node.mount();
        Py.run(NAMES + "verify(p[0])\n", Py.bytes(mnt));
    }
}
