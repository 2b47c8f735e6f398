# BpfObject.cmake: compile one bpf/<name>.bpf.c into an object and a libbpf
# skeleton (<name>.skel.h) in the build tree. clang writes a depfile, so an edit
# to any header the program includes (bpf/phaseprof.h, vmlinux.h) rebuilds it.
function(bpf_object name source)
	set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
	set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
	set(dep ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.d)

	# clang's own system include dirs, for -target bpf (libbpf-bootstrap does the same)
	execute_process(COMMAND ${BPF_CLANG} -v -E - INPUT_FILE /dev/null
		OUTPUT_QUIET ERROR_VARIABLE clang_v)
	string(REGEX MATCH "#include <...> search starts here:(.*)End of search list"
		_ "${clang_v}")
	string(REGEX MATCHALL "/[^\n ]*" sysdirs "${CMAKE_MATCH_1}")
	set(idirafter "")
	foreach(d ${sysdirs})
		list(APPEND idirafter -idirafter ${d})
	endforeach()

	add_custom_command(OUTPUT ${obj}
		COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall
			-I${PROJECT_SOURCE_DIR}/bpf ${LIBBPF_INCLUDE_ARGS} ${idirafter}
			-MD -MF ${dep} -c ${source} -o ${obj}
		DEPENDS ${source}
		DEPFILE ${dep}
		COMMENT "BPF ${name}.bpf.o"
		VERBATIM)
	add_custom_command(OUTPUT ${skel}
		COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
		DEPENDS ${obj}
		COMMENT "skeleton ${name}.skel.h"
		VERBATIM)
	add_custom_target(${name}_skel DEPENDS ${skel})
endfunction()
