// The translation unit the shared precompiled headers are built with (tests/CMakeLists.txt).
int main() { return 0; }
