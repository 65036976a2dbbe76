{
  "variables": {
    "lwip": "deps/lwip/src"
  },
  "target_defaults": {
    "include_dirs": ["lwip", "<(lwip)/include"],
    "cflags": ["-O2", "-g", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fPIC"],
    "conditions": [
      ["'<!(node -p \"process.env.GAZELLE_ASAN || 0\")'=='1'", {
        "cflags": ["-fsanitize=address", "-fno-omit-frame-pointer"],
        "ldflags": ["-fsanitize=address"]
      }]
    ]
  },
  "targets": [
    {
      "target_name": "lwip",
      "type": "static_library",
      "sources": [
        "<!@(ls deps/lwip/src/core/*.c deps/lwip/src/core/ipv4/*.c)",
        "<(lwip)/netif/ethernet.c"
      ],
      "cflags!": ["-Wextra"],
      "cflags": ["-Wno-address"]
    },
    {
      "target_name": "gazelle",
      "dependencies": ["lwip"],
      "sources": [
        "src/errors.c",
        "src/eal.c",
        "src/dpdk_log.c",
        "src/port.c",
        "src/faults.c",
        "src/siphash.c",
        "src/tcp_secrets.c",
        "src/netif.c",
        "src/lwip_arch.c",
        "src/lwip_mem.c",
        "src/events.c",
        "src/tcp_sock.c",
        "src/idtable.c",
        "src/udp_sock.c",
        "src/stack.c",
        "src/stats.c",
        "src/latency.c",
        "src/capture.c",
        "src/tcp_list.c",
        "src/peercred.c",
        "src/binding.cc",
        "src/common.cc",
        "src/constants.cc",
        "src/lifecycle.cc",
        "src/loop.cc",
        "src/tcp.cc",
        "src/udp.cc",
        "src/ops.cc",
        "src/xdp.cc",
        "src/xdp_prog.c",
        "src/xdp_ports.c",
        "src/xdp_reserve.c",
        "src/xdp_neigh.c"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags": ["<!@(pkg-config --cflags libdpdk)", "-Werror"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["<!@(pkg-config --libs libdpdk)", "-lrte_bus_vdev", "-lbpf"],
      "ldflags": [
        "-Wl,-z,nodelete"
      ]
    },
    {
      "target_name": "xdp_steer",
      "type": "none",
      "actions": [
        {
          "action_name": "bpf",
          "inputs": ["bpf/xdp_steer.c", "bpf/xdp_steer.h"],
          "outputs": ["<(PRODUCT_DIR)/xdp_steer.o"],
          "action": ["clang", "-O2", "-g", "-Wall", "-target", "bpf", "-I/usr/include/<!(gcc -print-multiarch)",
                     "-c", "bpf/xdp_steer.c", "-o", "<(PRODUCT_DIR)/xdp_steer.o"]
        }
      ]
    },
    {
      "target_name": "fault-relay",
      "type": "executable",
      "sources": ["tools/fault-relay.c"],
      "cflags": ["-Werror"]
    }
  ]
}
