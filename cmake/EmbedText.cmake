# embed_text(IN OUT VAR): write OUT, a header defining VAR as the text of IN
# (a C string literal), regenerated when IN changes. Used for the systemd
# unit template, so the tree keeps one source for it (dist/).
function(embed_text in out var)
	add_custom_command(OUTPUT ${out}
		COMMAND ${CMAKE_COMMAND} -DIN=${in} -DOUT=${out} -DVAR=${var}
			-P ${PROJECT_SOURCE_DIR}/cmake/EmbedText.cmake
		DEPENDS ${in} ${PROJECT_SOURCE_DIR}/cmake/EmbedText.cmake
		COMMENT "embedding ${in}")
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED IN)
	file(READ ${IN} text)
	string(REPLACE "\\" "\\\\" text "${text}")
	string(REPLACE "\"" "\\\"" text "${text}")
	string(REPLACE "\n" "\\n\"\n\t\"" text "${text}")
	file(WRITE ${OUT} "/* generated from ${IN} by cmake/EmbedText.cmake: do not edit */\n"
		"static const char ${VAR}[] =\n\t\"${text}\";\n")
endif()
