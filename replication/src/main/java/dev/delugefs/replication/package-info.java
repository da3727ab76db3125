/**
 * Keeping content where it is needed and nowhere else (DESIGN.md §9). Today: garbage collection of content
 * that no record names; replica counting and clone/stop requests come with the data plane.
 */
package dev.delugefs.replication;
