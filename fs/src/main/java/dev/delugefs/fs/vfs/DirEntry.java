package dev.delugefs.fs.vfs;

public record DirEntry(String name, Stat stat) {
}
