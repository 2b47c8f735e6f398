# embed.cmake: write flame.js into a C source as a NUL-terminated char array,
# so the script stays a real .js file in the tree.
# cmake -DIN=flame.js -DOUT=fg_script.c -DNAME=fg_script -P embed.cmake
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n\t"
	bytes "${bytes}")
file(WRITE ${OUT} "/* generated from flame.js by embed.cmake: do not edit */\n"
	"const char ${NAME}[] = {\n\t${bytes}0x00\n};\n")
