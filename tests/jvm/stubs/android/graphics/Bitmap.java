package android.graphics;

/**
 * Stub of android.graphics.Bitmap: createBitmap(int[], int, int, Config), getWidth(), getHeight() and
 * getPixels(). It keeps the colours as given; a real ARGB_8888 Bitmap stores them premultiplied, so getPixels
 * can return slightly different colour channels for semi-transparent pixels.
 */
public final class Bitmap {
    public enum Config { ALPHA_8, RGB_565, ARGB_4444, ARGB_8888, RGBA_F16, HARDWARE, RGBA_1010102 }

    private final int[] colors;
    private final int width;
    private final int height;

    private Bitmap(int[] colors, int width, int height) {
        this.colors = colors.clone();
        this.width = width;
        this.height = height;
    }

    public static Bitmap createBitmap(int[] colors, int width, int height, Config config) {
        if (colors.length < width * height) throw new ArrayIndexOutOfBoundsException();
        return new Bitmap(colors, width, height);
    }

    public int getWidth() {
        return width;
    }

    public int getHeight() {
        return height;
    }

    /** Non-premultiplied ARGB colours of the rectangle (x, y, width, height) into pixels[offset + row * stride + col]. */
    public void getPixels(int[] pixels, int offset, int stride, int x, int y, int width, int height) {
        if (x < 0 || y < 0 || x + width > this.width || y + height > this.height) {
            throw new IllegalArgumentException("x + width must be <= bitmap.width()");
        }
        for (int row = 0; row < height; row++) {
            for (int col = 0; col < width; col++) {
                pixels[offset + row * stride + col] = colors[(y + row) * this.width + x + col];
            }
        }
    }
}
