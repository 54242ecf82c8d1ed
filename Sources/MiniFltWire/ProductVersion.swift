// SPDX-License-Identifier: MIT
/// The version of minifltd, minifltctl and the Swift libraries, as `--version` prints it. libfltlib has
/// its own (its SONAME and `fltlib.pc`), which follows its ABI rather than the product.
public enum ProductVersion {
    public static let string = "0.3.2"
}
