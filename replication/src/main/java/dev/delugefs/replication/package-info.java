/**
 * Replica counting, clone and stop requests, and garbage collection of unreferenced content
 * (DESIGN.md §9). Nothing lives here until the data plane exists: a single node has no replicas to count.
 */
package dev.delugefs.replication;
