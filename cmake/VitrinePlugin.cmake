# vitrine_add_plugin(<target> SOURCES <files...> [OUTPUT_NAME <name>] [NO_SDK])
#
# Builds a Vitrine renderer plugin: a shared library with hidden visibility
# (only `vitrine_entry` is exported, ABI-2), no lib prefix, linked against the
# header-only plugin API and the SDK helpers (Vitrine::sdk, docs/sdk.md; a
# static library with hidden symbols, so only what the plugin calls is linked
# in and nothing of it is exported). NO_SDK leaves the SDK out. Used by the bundled plugins and by plugins built
# out of tree after find_package(Vitrine).
function(vitrine_add_plugin target)
  cmake_parse_arguments(VP "NO_SDK" "OUTPUT_NAME" "SOURCES" ${ARGN})
  if(NOT VP_SOURCES)
    message(FATAL_ERROR "vitrine_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${VP_SOURCES})
  if(NOT TARGET Vitrine::plugin_api)
    message(FATAL_ERROR "vitrine_add_plugin(${target}): Vitrine::plugin_api is not defined; "
                        "call find_package(Vitrine) first")
  endif()
  target_link_libraries(${target} PRIVATE Vitrine::plugin_api)
  if(TARGET Vitrine::sdk AND NOT VP_NO_SDK)
    target_link_libraries(${target} PRIVATE Vitrine::sdk)
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(VP_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${VP_OUTPUT_NAME})
  endif()
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # Refuse undefined symbols at link time rather than at dlopen time.
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
endfunction()
