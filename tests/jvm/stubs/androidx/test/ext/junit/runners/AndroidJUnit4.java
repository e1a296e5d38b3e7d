package androidx.test.ext.junit.runners;

import org.junit.runner.Runner;

/** Stub of androidx.test.ext.junit.runners.AndroidJUnit4 (public final class extending org.junit.runner.Runner). */
public final class AndroidJUnit4 extends Runner {
    public AndroidJUnit4(Class<?> klass) {
    }
}
