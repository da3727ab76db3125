package dev.delugefs.nativetests;

import java.nio.file.Path;

/**
 * Everything a user would notice about a tree, one line per entry: type, mode, size, mtime (ns),
 * SHA-256, user.* xattrs, link targets. Directory mtimes are left out: they move with every entry
 * created in them and are not what these durability tests are about.
 */
final class Manifest {
    private static final String SCRIPT = """
            import stat
            m = p[0]
            out = []
            def fail(e):
                raise e
            # os.walk hides errors by default: an unreadable dir would look empty, not broken
            for dirpath, dirnames, filenames in os.walk(m, onerror=fail):
                for n in dirnames + filenames:
                    path = os.path.join(dirpath, n)
                    rel = path[len(m):]
                    st = os.lstat(path)
                    if stat.S_ISLNK(st.st_mode):
                        out.append(repr(('l', rel, os.readlink(path))))
                        continue
                    xs = sorted((k, os.getxattr(path, k).hex()) for k in os.listxattr(path) if k.startswith('user.'))
                    if stat.S_ISDIR(st.st_mode):
                        out.append(repr(('d', rel, oct(st.st_mode), xs)))
                    else:
                        with open(path, 'rb') as f:
                            digest = hashlib.sha256(f.read()).hexdigest()
                        out.append(repr(('f', rel, oct(st.st_mode), st.st_size, st.st_mtime_ns, digest, xs)))
            print('\\n'.join(sorted(out)))
            """;

    private Manifest() {}

    static String of(Path dir) {
        return Py.run(SCRIPT, Py.bytes(dir)).out();
    }
}
