package org.junit.runner;

/** Stub of org.junit.runner.Runner (abstract; the JVM harness, not a Runner, runs the tests here). */
public abstract class Runner {
}
