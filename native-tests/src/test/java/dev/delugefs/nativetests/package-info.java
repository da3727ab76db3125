/**
 * Tests against real mounts: each test starts the packaged node ({@code scripts/delugefs}, so build
 * with {@code mvn -DskipTests package} first) as a process in its own temp dirs, drives the mount with
 * real tools (coreutils, attr, tar, git, fio, python, libtorrent, aria2c) and always tears down.
 *
 * <p>Run as root with /dev/fuse: {@code mvn -pl native-tests test}. {@code -Ddelugefs.test.dir=DIR}
 * puts the temp dirs elsewhere (the 5 GiB test needs ~11 GB free), {@code -DexcludedGroups=slow}
 * skips it, {@code -Ddelugefs.home=DIR} runs another checkout's launcher.
 */
package dev.delugefs.nativetests;
