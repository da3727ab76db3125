package dev.delugefs.nativetests;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Python as a thin syscall shell: names go in as hex and become bytes in {@code p[i]}, so any byte
 * sequence reaches the kernel unchanged whatever the locale of the JVM and of the test machine.
 */
final class Py {
    private static final String PREAMBLE = "import os, sys, errno, hashlib, time\n"
            + "p = [bytes.fromhex(a) for a in sys.argv[1:]]\n";

    private Py() {}

    static byte[] bytes(Path path) {
        return path.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** dir/name where name is raw bytes. */
    static byte[] join(Path dir, byte[] name) {
        byte[] d = bytes(dir);
        byte[] r = new byte[d.length + 1 + name.length];
        System.arraycopy(d, 0, r, 0, d.length);
        r[d.length] = '/';
        System.arraycopy(name, 0, r, d.length + 1, name.length);
        return r;
    }

    static Cmd cmd(String code, byte[]... args) {
        return Cmd.of(command(code, args));
    }

    /** The python3 command line of {@link #cmd}, for running it elsewhere (e.g. behind nsenter). */
    static List<String> command(String code, byte[]... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "-c", PREAMBLE + code));
        for (byte[] a : args) {
            cmd.add(HexFormat.of().formatHex(a));
        }
        return cmd;
    }

    static Cmd.Result run(String code, byte[]... args) {
        return cmd(code, args).ok();
    }

    /** Runs the statements; returns "OK" or the errno name (ENOENT...) of the OSError they raised. */
    static String errno(String statements, byte[]... args) {
        String body = "try:\n" + statements.indent(4)
                + "    print('OK')\n"
                + "except OSError as e:\n"
                + "    print(errno.errorcode.get(e.errno, str(e.errno)))\n";
        return run(body, args).out().strip();
    }

    static byte[] unhex(String s) {
        return HexFormat.of().parseHex(s.strip());
    }
}
