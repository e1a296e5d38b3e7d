// The JVM side of tests/test_kotlin_jvm.py: runs the generated Kotlin (compiled against tests/jvm/stubs) and
// prints one line per result for the Python test to check. Not part of any bundle.
package edgedigits.jvm

import android.graphics.Bitmap
import androidx.test.platform.app.InstrumentationRegistry
import com.example.edgedigits.DigitClassifier
import com.example.edgedigits.MnistPreprocess
import java.io.File
import java.lang.reflect.InvocationTargetException
import java.nio.ByteBuffer
import java.nio.ByteOrder
import org.junit.Test
import org.junit.runner.RunWith
import org.tensorflow.lite.Interpreter

fun main(args: Array<String>) {
    var i = 0
    while (i < args.size) {
        when (args[i]) {
            "test" -> runTests(args[++i])
            "round" -> rounding(File(args[++i]), args[++i])
            "dequantize" -> dequantize(args[++i], args[++i].toInt())
            "preprocess" -> preprocess(File(args[++i]), chain = false)
            "chain" -> preprocess(File(args[++i]), chain = true)
            "options" -> options()
            "close-on-failure" -> closeOnFailure()
            else -> error("unknown harness command ${args[i]}")
        }
        i++
    }
}

private fun bits(x: Float): String = Integer.toHexString(java.lang.Float.floatToRawIntBits(x))

private fun floatOf(hex: String): Float = java.lang.Float.intBitsToFloat(java.lang.Long.parseLong(hex, 16).toInt())

/** Every @Test method of the named class, as JUnit would run it: a fresh instance per method. */
private fun runTests(className: String) {
    val type = Class.forName(className)
    println("RUNWITH $className ${type.getAnnotation(RunWith::class.java)?.value?.java?.simpleName ?: "-"}")
    for (method in type.declaredMethods.filter { it.isAnnotationPresent(Test::class.java) }.sortedBy { it.name }) {
        val result = try {
            method.invoke(type.getDeclaredConstructor().newInstance())
            "PASS"
        } catch (e: InvocationTargetException) {
            "FAIL ${e.cause!!.javaClass.simpleName}: ${e.cause!!.message?.lines()?.first()}"
        }
        println("TEST $className.${method.name} $result")
    }
}

/** float32 values (little-endian file) -> the generated rounding and quantize(x, scale, zeroPoint). */
private fun rounding(values: File, quantization: String) {
    val (scale, zeroPoint) = quantization.split(":").let { floatOf(it[0]) to it[1].toInt() }
    val buffer = ByteBuffer.wrap(values.readBytes()).order(ByteOrder.LITTLE_ENDIAN)
    while (buffer.remaining() >= 4) {
        val x = buffer.getFloat()
        println("ROUND ${bits(x)} ${bits(DigitClassifier.roundHalfAwayFromZero(x))} ${DigitClassifier.quantize(x, scale, zeroPoint)}")
    }
}

private fun dequantize(scaleHex: String, zeroPoint: Int) {
    for (q in -128..127) println("DEQUANTIZE $q ${bits(DigitClassifier.dequantize(q, floatOf(scaleHex), zeroPoint))}")
}

/** The golden preprocessing files in `folder`: max |generated - Python| per case, through the IntArray function
 *  and the Bitmap adapter; with `chain`, also classify(toModelInput(...)) on the stub's replayed model. */
private fun preprocess(folder: File, chain: Boolean) {
    val index = File(folder, "preprocess_golden.txt").readLines().filter { it.isNotBlank() }
    val rgba = File(folder, "preprocess_golden_rgba.bin").readBytes()
    val expected = ByteBuffer.wrap(File(folder, "preprocess_golden_expected.bin").readBytes()).order(ByteOrder.LITTLE_ENDIAN)
    val classifier = if (chain) DigitClassifier(InstrumentationRegistry.getInstrumentation().targetContext) else null
    var offset = 0
    for ((case, line) in index.withIndex()) {
        val (name, width, height) = line.split(" ")
        val w = width.toInt()
        val h = height.toInt()
        val argb = IntArray(w * h) { k ->
            val o = offset + 4 * k
            ((rgba[o + 3].toInt() and 0xFF) shl 24) or ((rgba[o].toInt() and 0xFF) shl 16) or
                ((rgba[o + 1].toInt() and 0xFF) shl 8) or (rgba[o + 2].toInt() and 0xFF)
        }
        offset += 4 * w * h
        val got = MnistPreprocess.toModelInput(argb, w, h)
        var worst = 0.0
        for (k in got.indices) worst = maxOf(worst, Math.abs(got[k].toDouble() - expected.getFloat((case * got.size + k) * 4).toDouble()))
        val viaBitmap = MnistPreprocess.toModelInput(Bitmap.createBitmap(argb, w, h, Bitmap.Config.ARGB_8888))
        println("PREPROCESS $name $worst ${if (viaBitmap.contentEquals(got)) "bitmap-same" else "bitmap-differs"}")
        if (classifier != null) {
            val probabilities = try {
                classifier.classify(got).joinToString(" ") { bits(it) }
            } catch (e: IllegalStateException) {
                "FAIL ${e.message}"
            }
            println("CHAIN $name $probabilities")
        }
    }
    classifier?.close()
}

private fun options() {
    DigitClassifier(InstrumentationRegistry.getInstrumentation().targetContext).use {
        val options = Interpreter.lastOptions!!
        println("OPTIONS threads=${options.numThreads} xnnpack=${options.useXNNPACK}")
    }
}

/** The start-up check fails (the stub reports another input scale): the interpreter must be closed. */
private fun closeOnFailure() {
    System.setProperty("edgedigits.stub.input_scale", "0.5")
    val created = Interpreter.created
    val closed = Interpreter.closed
    val outcome = try {
        DigitClassifier(InstrumentationRegistry.getInstrumentation().targetContext).close()
        "constructed"
    } catch (e: IllegalStateException) {
        "threw:${e.message}"
    } finally {
        System.clearProperty("edgedigits.stub.input_scale")
    }
    println("CLOSE_ON_FAILURE created=${Interpreter.created - created} closed=${Interpreter.closed - closed} $outcome")
}
